// Videos in the gallery and on share pages: a play badge on a video's thumbnail, and its
// original in a <video> (the server answers range requests, so a phone seeks without the whole file).
"use strict";

const VIDEO_NAME = /\.(mp4|mov|m4v|3gp|3g2|mkv|webm|avi)$/i;

// Album and search pages list ids and paths; a photo's own answer and share pages say its kind.
function isVideo(p) { return p.kind === "video" || (!p.kind && VIDEO_NAME.test(p.path || "")); }

function videoWord() { return document.documentElement.lang.startsWith("zh") ? "视频" : "Video"; }

// The play badge over a thumbnail link (its cell is positioned: gallery.css, share.css).
function markVideo(link) {
  link.classList.add("is-video");
  const badge = document.createElement("span");
  Object.assign(badge, { className: "play-badge", textContent: "▶", role: "img" });
  badge.setAttribute("aria-label", videoWord());
  link.append(badge);
}

// A player for a video's original, its poster the thumbnail until it plays.
function videoPlayer(src, poster, label) {
  const player = document.createElement("video");
  Object.assign(player, { src, poster, controls: true, playsInline: true, preload: "metadata", className: "video-player" });
  player.setAttribute("aria-label", label ? `${videoWord()}: ${label}` : videoWord());
  return player;
}

// The share page's viewer: its picture, or a player in its place for a video.
function showInViewer(img, p, src, poster) {
  const old = img.parentElement.querySelector("video.video-player");
  if (old) { old.pause(); old.remove(); }
  img.hidden = isVideo(p);
  if (img.hidden) img.after(videoPlayer(src, poster, img.alt));
}

// A Live Photo's or Motion Photo's tile: a LIVE badge, and its motion played over the
// thumbnail while hovered or long-pressed (``src``: null where the page cannot play it).
function markLive(link, src) {
  link.classList.add("is-live");
  const badge = document.createElement("span");
  Object.assign(badge, { className: "live-badge", textContent: "LIVE" });
  link.append(badge);
  if (!src) return;
  let motion = null, timer = null;
  const play = () => {
    if (motion) return;
    motion = document.createElement("video");
    Object.assign(motion, { src, className: "motion-over", autoplay: true, loop: true, playsInline: true });
    motion.muted = true;  // a browser plays only a muted video without a click
    link.append(motion);
  };
  const stop = () => { clearTimeout(timer); if (motion) { motion.remove(); motion = null; } };
  link.addEventListener("mouseenter", play);
  link.addEventListener("mouseleave", stop);
  link.addEventListener("touchstart", () => { timer = setTimeout(play, 350); }, { passive: true });
  for (const end of ["touchend", "touchcancel"]) link.addEventListener(end, stop);
}
