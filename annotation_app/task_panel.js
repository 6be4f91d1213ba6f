// The task panel (see task_panel.py): one page component holding everything an annotator
// looks at and does for one triplet. Labels, reason, box, the player and the keys live here,
// in the browser; the server hears from the panel once per submission, skip or "edit my last"
// (one trigger value, "action", naming the triplet it was drawn for).

const ANSWER_TIMEOUT_MS = 60000;  // a submission is the server's to answer for this long
const G = window.__atdkitTask || (window.__atdkitTask = {panel: null, listening: false});

const make = (tag, props = {}, ...children) => {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children.filter(c => c !== null && c !== undefined));
  return el;
};
const setText = (el, text) => { if (el.textContent !== text) el.textContent = text; };
const shown = (el, on) => { el.hidden = !on; };

// ---- building (once per mounted panel) -----------------------------------------------------
function build(root, data) {
  const P = {root, shown: null, pending: null, ack: 0, box: null, player: {i: 1, playing: true, ms: data.player.speeds[2],
             zoom: 0, timer: null}, prefetched: []};
  const L = data.labels;
  const button = (act, text, cls = "") => {
    const b = make("button", {type: "button", textContent: text, className: cls});
    b.dataset.act = act;
    b.onclick = () => perform(P, {action: act});
    return b;
  };
  P.ui = {};
  const U = P.ui;
  const view = make("div", {className: "atdkit-task"});
  view.dataset.testid = "atdkit-task";

  // toolbar: edit, skip, the triplet id, what the last action did
  U.edit = button("edit", L.edit); U.skip = button("skip", L.skip);
  U.tid = make("strong"); U.editing = make("span", {textContent: " · editing your earlier judgement"});
  U.saved = make("span", {className: "atdkit-saved"}); U.status = make("span", {className: "atdkit-status"});
  U.title = make("span", {className: "atdkit-title"}, "Triplet ", U.tid, U.editing);
  view.append(make("div", {className: "atdkit-bar"}, U.edit, U.skip, U.title, U.saved, U.status));
  U.done = make("div", {className: "atdkit-note atdkit-done"});
  U.warning = make("div", {className: "atdkit-note atdkit-warn"});
  view.append(U.done, U.warning);

  // frame1–3 side by side
  U.frames = [1, 2, 3].map(() => make("img", {alt: "", decoding: "async"}));
  U.frameRow = make("div", {className: "atdkit-frames"},
                    ...U.frames.map((img, i) => make("figure", {}, img, make("figcaption", {textContent: `frame${i + 1}`}))));
  view.append(U.frameRow);

  // RoI on frame2 (left) and the player (right)
  U.roiImg = make("img", {alt: "frame2 for the RoI", draggable: false});
  U.roiBox = make("div", {className: "atdkit-roi-box"});
  U.roi = make("div", {className: "atdkit-roi"}, U.roiImg, U.roiBox);
  U.roi.dataset.testid = "atdkit-roi";
  U.roiCaption = make("p", {className: "atdkit-caption"});
  U.roiSide = make("div", {className: "atdkit-roi-side"},
    make("p", {}, make("b", {textContent: "RoI on frame2"}),
         " (drag to redraw; the box starts at the proposed moving region)"),
    U.roi, U.roiCaption, button("proposal", L.proposal));
  U.stage = make("img", {className: "atdkit-stage-img", alt: "frame player"});
  U.which = make("span", {className: "atdkit-which"}); U.which.dataset.testid = "atdkit-which";
  U.speed = make("input", {className: "atdkit-speed", type: "range", min: data.player.speeds[0],
                           max: data.player.speeds[1], step: 50});
  U.speedText = make("span", {className: "atdkit-speed-text"});
  U.zoom = make("select", {className: "atdkit-zoom"},
                ...data.player.zooms.map(([text, v]) => make("option", {value: String(v), textContent: text})));
  U.player = make("div", {className: "atdkit-player"},
    make("div", {className: "atdkit-stage"}, U.stage),
    make("div", {className: "atdkit-controls"}, button("back", L.back), button("play", L.play),
         button("forward", L.forward), make("label", {}, "ms per frame ", U.speed), U.speedText,
         make("label", {}, "zoom ", U.zoom), U.which));
  U.speed.oninput = () => { P.player.ms = +U.speed.value; showPlayer(P); };
  U.zoom.onchange = () => { P.player.zoom = +U.zoom.value; showPlayer(P); };
  U.stage.onload = () => showPlayer(P);
  U.work = make("div", {className: "atdkit-work"}, U.roiSide, U.player);
  view.append(U.work);

  // the decision: labels and accept (left), reason, note and reject (right), the error under them
  const group = (name, title, values) => {
    const inputs = values.map(v => make("input", {type: "radio", name: `atdkit-${name}`, value: v}));
    const set = make("fieldset", {className: "atdkit-group"}, make("legend", {textContent: title}),
                     ...values.map((v, i) => make("label", {}, inputs[i], " " + v)));
    return {set, inputs};
  };
  U.fields = {};
  const accept = make("div", {className: "atdkit-accept"});
  for (const f of data.fields) {
    const g = group(f.name, f.title, f.values);
    U.fields[f.name] = g.inputs;
    accept.append(g.set);
  }
  accept.append(button("accept", L.accept, "atdkit-primary"));
  const reasons = group("reason", data.reasons.title, data.reasons.values);
  U.fields.reason = reasons.inputs;
  U.note = make("input", {type: "text", maxLength: data.note_max});
  const reject = make("div", {className: "atdkit-reject"}, reasons.set,
                      make("label", {className: "atdkit-text"}, "Other: explain", U.note), button("reject", L.reject));
  U.decision = make("div", {className: "atdkit-decision"}, accept, reject);
  U.error = make("div", {className: "atdkit-note atdkit-error"});
  U.error.setAttribute("role", "alert");
  view.append(U.decision, U.error);
  root.append(view);
  P.view = view;
  roiEvents(P);
  return P;
}

// ---- the box ---------------------------------------------------------------------------------
function drawBox(P, b) {
  const [W, H] = P.size;
  Object.assign(P.ui.roiBox.style, {left: 100 * b[0] / W + "%", top: 100 * b[1] / H + "%",
                                    width: 100 * b[2] / W + "%", height: 100 * b[3] / H + "%"});
}
function keepBox(P, b) {
  P.box = b;
  drawBox(P, b);
  const r = v => Math.round(v);
  setText(P.ui.roiCaption, `RoI on frame2 (full-resolution px): x=${r(b[0])} y=${r(b[1])} w=${r(b[2])} ` +
          `h=${r(b[3])} · frame ${P.size[0]}×${P.size[1]}`);
}
function roiEvents(P) {
  const stage = P.ui.roi;
  let start = null, scale = 1;
  const at = ev => {  // full-resolution px of frame2, inside the frame
    const r = stage.getBoundingClientRect();
    scale = P.size[0] / r.width;
    return [Math.min(Math.max((ev.clientX - r.left) * scale, 0), P.size[0]),
            Math.min(Math.max((ev.clientY - r.top) * P.size[1] / r.height, 0), P.size[1])];
  };
  const spanned = ev => {
    const [x, y] = at(ev);
    return [Math.min(x, start[0]), Math.min(y, start[1]), Math.abs(x - start[0]), Math.abs(y - start[1])];
  };
  stage.onpointerdown = ev => { if (ev.button !== 0 || !P.box) return; start = at(ev); stage.setPointerCapture(ev.pointerId); };
  stage.onpointermove = ev => { if (start) drawBox(P, spanned(ev)); };
  stage.onpointerup = ev => {
    if (!start) return;
    const b = spanned(ev);
    start = null;
    // a click (or a box under min_box screen px) keeps the box there was
    if (b[2] >= P.minBox * scale && b[3] >= P.minBox * scale) keepBox(P, b); else drawBox(P, P.box);
  };
  stage.onpointercancel = () => { start = null; drawBox(P, P.box); };
}

// ---- the player ------------------------------------------------------------------------------
function showPlayer(P) {
  const S = P.player, U = P.ui;
  const src = P.frames[S.i];
  if (!src) return;
  if (U.stage.getAttribute("src") !== src) U.stage.src = src;
  const width = S.zoom && U.stage.naturalWidth ? (U.stage.naturalWidth * S.zoom) + "px" : "100%";
  if (U.stage.style.width !== width) U.stage.style.width = width;
  U.stage.style.maxWidth = S.zoom ? "none" : "100%";
  setText(U.which, "frame " + (S.i + 1) + (S.playing ? " · playing" : " · paused"));
  setText(U.speedText, S.ms + " ms");
  if (U.speed.value !== String(S.ms)) U.speed.value = S.ms;
  if (U.zoom.value !== String(S.zoom)) U.zoom.value = String(S.zoom);
}
function tick(P) {
  if (!P.root.isConnected) { P.player.timer = null; return; }  // the panel is gone: so is its timer
  if (P.player.playing) P.player.i = (P.player.i + 1) % 3;
  showPlayer(P);
  P.player.timer = setTimeout(() => tick(P), P.player.ms);
}

// ---- what the server sent ----------------------------------------------------------------------
function choose(P, field, value) {
  for (const input of P.ui.fields[field] || []) input.checked = input.value === value;
}
function chosen(P, field) {
  const hit = (P.ui.fields[field] || []).find(i => i.checked);
  return hit ? hit.value : null;
}
function update(P, data) {
  const U = P.ui, task = data.mode === "task";
  // the server answered the action (its number acknowledged), or it lost the session (the
  // acknowledged number went back: a server restart) and will never answer it
  if (P.pending !== null && ((data.ack || 0) >= P.pending || (data.ack || 0) < P.ack)) P.pending = null;
  P.ack = data.ack || 0;
  P.keys = data.keys; P.minBox = data.min_box;
  const has = !!data.tid;
  P.view.dataset.tid = data.tid || "";
  P.view.dataset.state = P.pending === null ? "ready" : "saving";
  shown(U.edit, task); shown(U.skip, task && has); shown(U.title, task && has);
  U.edit.disabled = !data.can_edit;
  setText(U.tid, data.tid || ""); shown(U.editing, !!data.editing);
  setText(U.saved, data.saved ? "✓ " + data.saved : "");
  setText(U.status, P.pending === null ? "" : "Saving…");
  setText(U.done, task && !has ? "Nothing left for you to judge. Thank you!" : ""); shown(U.done, task && !has);
  setText(U.warning, data.warning || ""); shown(U.warning, !!data.warning);
  setText(U.error, data.error || ""); shown(U.error, !!data.error);
  const framed = has && !!data.frames;  // (a triplet whose frames cannot be read comes without)
  shown(U.frameRow, framed); shown(U.work, framed); shown(U.roiSide, task); shown(U.decision, task && framed);
  if (!framed) return;
  P.size = data.size;
  P.frames = data.frames;
  data.frames.forEach((src, i) => { if (U.frames[i].getAttribute("src") !== src) U.frames[i].src = src; });
  U.frames.forEach(img => { img.style.aspectRatio = `${data.size[0]} / ${data.size[1]}`; });
  U.stage.style.aspectRatio = `${data.size[0]} / ${data.size[1]}`;
  if (U.roiImg.getAttribute("src") !== data.frames[1]) U.roiImg.src = data.frames[1];
  U.roi.style.width = data.roi_width + "px";
  U.roi.style.aspectRatio = `${data.size[0]} / ${data.size[1]}`;
  if (task && data.shown !== P.shown) {  // another triplet (or the same one afresh): its own start values
    P.shown = data.shown;
    P.proposal = data.proposal;
    keepBox(P, data.box);
    for (const [field, value] of Object.entries(data.start)) choose(P, field, value);
    U.note.value = data.note || "";
  }
  // the next triplet's frames, fetched and decoded while this one is looked at
  const next = (data.next || []).join(" ");
  if (next !== P.nextKey) {
    P.nextKey = next;
    P.prefetched = (data.next || []).map(src => { const im = new Image(); im.src = src; im.decode().catch(() => {}); return im; });
  }
  showPlayer(P);
  if (!P.player.timer) P.player.timer = setTimeout(() => tick(P), P.player.ms);
}

// ---- actions and keys ------------------------------------------------------------------------
function perform(P, what) {
  const S = P.player;
  if (what.action === "back" || what.action === "forward") {
    S.playing = false; S.i = (S.i + (what.action === "back" ? 2 : 1)) % 3; showPlayer(P); return;
  }
  if (what.action === "play") { S.playing = !S.playing; showPlayer(P); return; }
  if (P.pending !== null) { setText(P.ui.status, "Saving… (wait for the next triplet)"); return; }
  if (what.field) { choose(P, what.field, what.value); return; }
  if (what.action === "proposal") { if (P.proposal) keepBox(P, P.proposal); return; }
  const tid = P.view.dataset.tid || null;
  if (what.action !== "edit" && !tid) return;
  const payload = {action: what.action, tid, seq: Math.max(Date.now(), (P.seq || 0) + 1)};
  P.seq = payload.seq;
  if (what.action === "accept" || what.action === "reject") {
    payload.labels = Object.fromEntries(Object.keys(P.ui.fields).filter(f => f !== "reason").map(f => [f, chosen(P, f)]));
    payload.reason = chosen(P, "reason");
    payload.note = P.ui.note.value;
    payload.box = P.box;
  }
  P.pending = payload.seq;
  P.view.dataset.state = "saving";
  setText(P.ui.status, "Saving…");
  P.send("action", payload);
  setTimeout(() => {  // no answer at all (a lost connection): the keys work again; pressing again is safe
    if (P.pending !== payload.seq) return;
    P.pending = null;
    P.view.dataset.state = "ready";
    setText(P.ui.status, "No answer from the server yet: press again if nothing changes.");
  }, ANSWER_TIMEOUT_MS);
}
const typing = el => el && (el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable ||
    (el.tagName === "INPUT" && !["radio", "checkbox", "button", "range"].includes(el.type)));
function onKey(ev) {
  const P = G.panel;
  if (!P || !P.root.isConnected || ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat) return;
  const el = document.activeElement;
  if (typing(el)) { if (ev.key === "Escape") el.blur(); return; }
  const what = P.keys[ev.key.toLowerCase()];
  if (!what) return;
  ev.preventDefault(); ev.stopPropagation();
  if (el && el !== document.body && el.blur) el.blur();
  perform(P, what);
}

export default function ({ data, setTriggerValue, parentElement }) {
  const P = parentElement.__atdkitPanel || (parentElement.__atdkitPanel = build(parentElement, data));
  P.send = setTriggerValue;
  update(P, data);
  G.panel = P;
  if (!G.listening) { window.addEventListener("keydown", onKey, true); G.listening = true; }
}
