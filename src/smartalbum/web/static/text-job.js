// The text pass over the photos indexed before it (POST /api/text/read): how many are unread,
// a button to read them, and the job's progress. Uses app.js's call and lang.
"use strict";

const TEXT_JOB = {
  en: { unread: "{n} photos have not been read for text yet.", read: "Read the text in them",
        reading: "Reading the text… {n}", done: "Read: {n}", stopped: "Stopped; read: {n}", failed: "Reading failed:",
        cancel: "Cancel" },
  zh: { unread: "还有 {n} 张照片没有读取文字。", read: "读取其中的文字", reading: "正在读取文字… {n}",
        done: "已读取：{n}", stopped: "已停止；已读取：{n}", failed: "读取失败：", cancel: "取消" },
};

function textJob(key, n) { return TEXT_JOB[lang][key].replace("{n}", n); }

async function offerTextPass() {
  let status;
  try { status = await (await call("/api/text")).json(); } catch (err) { return; }
  const form = document.getElementById("text-form");
  if (!status.unread) { form.hidden = true; return; }
  document.getElementById("text-unread").textContent = textJob("unread", status.unread);
  document.getElementById("text-read").textContent = textJob("read");
  document.getElementById("text-cancel").textContent = textJob("cancel");
  form.hidden = false;
}

document.getElementById("text-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const bar = document.getElementById("text-progress"), line = document.getElementById("text-status");
  const cancel = document.getElementById("text-cancel");
  bar.hidden = false; bar.removeAttribute("value");
  let response, job;
  try {
    response = await call("/api/text/read", { method: "POST" });
    job = await response.json();
  } catch (err) { line.textContent = t("network"); bar.hidden = true; return; }
  if (!response.ok) { line.textContent = `${textJob("failed")} ${job.error.message}`; bar.hidden = true; return; }
  cancel.hidden = false;
  cancel.onclick = () => call(`/api/jobs/${job.id}/cancel`, { method: "POST" });
  while (job.status === "queued" || job.status === "running") {
    if (job.total) { bar.max = job.total; bar.value = job.done; }
    line.textContent = textJob("reading", job.total ? `${job.done} / ${job.total}` : "");
    await new Promise((r) => setTimeout(r, 500));
    job = await (await call(`/api/jobs/${job.id}`)).json();
  }
  cancel.hidden = true; bar.max = 1; bar.value = 1;
  line.dataset.state = job.status;
  const r = job.report;
  line.textContent = job.status === "done" ? textJob("done", `${r.read} / ${r.total}`)
    : job.status === "cancelled" ? textJob("stopped", r ? r.read : 0) : `${textJob("failed")} ${job.error.message}`;
  offerTextPass();
});

offerTextPass();
