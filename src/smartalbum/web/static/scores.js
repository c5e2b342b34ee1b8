"use strict";
// How every page shows a score, so one thing reads the same everywhere (the command line's
// percent() and cosine() in cli/common.py are the twins: the same rounding, half up, on the
// same double). A class probability or an album or search score is a fraction 0..1, shown as
// a whole percent; a taught category's score or threshold is a cosine -1..1, shown with two
// decimals — never as a percent, which it is not.
function percent(fraction) {
  const whole = Math.floor(fraction * 100 + 0.5);
  return whole === 0 && fraction > 0 ? "<1 %" : `${whole} %`;
}
function cosine(score) { return (Math.floor(score * 100 + 0.5) / 100).toFixed(2); }
