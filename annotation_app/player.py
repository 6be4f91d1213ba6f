"""The frame player of the task and review views: frame1 → 2 → 3 looped at a chosen speed,
stepped one frame back or forward, at the width of the page or zoomed to full resolution
(100 %, 200 %, 400 %, pixels kept sharp) in a scrollable stage.

The player shows the very images of the frame row above it (``frame1``–``frame3``, the
stored PNGs at full resolution), so it costs no extra bytes; its state (frame, playing,
speed, zoom) lives in the page and survives reruns. Its buttons are plain page buttons, so
the keys of ``atdkit.annotation_app.keys`` (J back, K play/pause, L forward) press them.
"""

from __future__ import annotations

from atdkit.annotation_app import keys

BACK, PLAY, FORWARD = keys.label("Back", "back"), keys.label("Play/Pause", "play"), keys.label("Forward", "forward")
SPEEDS_MS = (50, 1000, 250)  # slowest/fastest bounds and the default, milliseconds per frame
ZOOMS = (("fit", 0), ("100 % (full resolution)", 1), ("200 %", 2), ("400 %", 4))

_HTML = """
<div class="atdkit-player">
  <div class="atdkit-stage" style="overflow:auto; max-height:85vh; border:1px solid #ddd">
    <img class="atdkit-stage-img" alt="frame player"
         style="display:block; width:100%%; aspect-ratio:%(w)d / %(h)d; image-rendering:pixelated">
  </div>
  <div style="display:flex; gap:.6rem; align-items:center; flex-wrap:wrap; margin-top:.3rem">
    <button type="button" data-act="back">%(back)s</button>
    <button type="button" data-act="play">%(play)s</button>
    <button type="button" data-act="forward">%(forward)s</button>
    <label>ms per frame <input class="atdkit-speed" type="range" min="%(fast)d" max="%(slow)d" step="50"></label>
    <span class="atdkit-speed-text"></span>
    <label>zoom <select class="atdkit-zoom">%(zooms)s</select></label>
    <span class="atdkit-which" data-testid="atdkit-which"></span>
  </div>
</div>
<script>
(() => {
  const P = window.__atdkitPlayer ||
      (window.__atdkitPlayer = {i: 1, playing: true, ms: %(default)d, zoom: 0, timer: null, frames: []});
  // the frame row's images (frame1–3), looked up again only when the page replaced them
  // (textContent, not innerText: reading it lays nothing out)
  const sources = () => {
    if (P.frames.length === 3 && P.frames.every(img => img && img.isConnected)) return P.frames.map(i => i.src);
    P.frames = [];
    document.querySelectorAll('[data-testid="stImage"]').forEach(box => {
      const m = box.textContent.trim().match(/^frame([123])$/);
      const img = box.querySelector("img");
      if (m && img) P.frames[+m[1] - 1] = img;
    });
    return P.frames.filter(Boolean).length === 3 ? P.frames.map(i => i.src) : [];
  };
  const set = (el, key, value) => { if (el && el[key] !== value) el[key] = value; };  // touch the DOM only on change
  const show = () => {
    const img = document.querySelector(".atdkit-stage-img"), src = sources();
    if (!img || src.length < 3) return;
    if (img.getAttribute("src") !== src[P.i]) img.src = src[P.i];
    set(img.style, "width", P.zoom && img.naturalWidth ? (img.naturalWidth * P.zoom) + "px" : "100%%");
    set(img.style, "maxWidth", P.zoom ? "none" : "100%%");
    set(document.querySelector(".atdkit-which"), "textContent",
        "frame " + (P.i + 1) + (P.playing ? " · playing" : " · paused"));
    set(document.querySelector(".atdkit-speed-text"), "textContent", P.ms + " ms");
  };
  // one timer for the page's life; paused, it still follows the frame row (a new triplet)
  const tick = () => { if (P.playing) P.i = (P.i + 1) %% 3; show(); P.timer = setTimeout(tick, P.ms); };
  if (!P.timer) P.timer = setTimeout(tick, P.ms);
  document.querySelectorAll(".atdkit-player button").forEach(b => b.onclick = () => {
    const act = b.dataset.act;
    if (act === "play") P.playing = !P.playing;
    else { P.playing = false; P.i = (P.i + (act === "back" ? 2 : 1)) %% 3; }
    show();
  });
  const speed = document.querySelector(".atdkit-speed");
  if (speed) { speed.value = P.ms; speed.oninput = () => { P.ms = +speed.value; show(); }; }
  const zoom = document.querySelector(".atdkit-zoom");
  if (zoom) { zoom.value = String(P.zoom); zoom.onchange = () => { P.zoom = +zoom.value; show(); }; }
  const img = document.querySelector(".atdkit-stage-img");
  if (img) img.onload = show;
  show();
})();
</script>
"""


def html(width: int, height: int) -> str:
    """The player's HTML and script for frames of ``width``×``height`` px (the stage keeps their
    aspect ratio before an image has loaded, so nothing below it moves; it reads the frame row)."""
    zooms = "".join(f'<option value="{v}">{t}</option>' for t, v in ZOOMS)
    return _HTML % {"back": BACK, "play": PLAY, "forward": FORWARD, "fast": SPEEDS_MS[0], "slow": SPEEDS_MS[1],
                    "default": SPEEDS_MS[2], "zooms": zooms, "w": width, "h": height}
