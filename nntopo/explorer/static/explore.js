// nntopo explore: the storyboard of a video drawn on a 2D canvas, with a camera of the page's own.
// Data: the JSON in #nntopo-data (nntopo/explorer/document.py). Text from it reaches the page only
// through textContent. No request is ever made. A part is a world (the picture before the camera:
// the layers scene) or, with D.screen, the storyboard's own screen frames (a representation while
// its network trains: 2D, framed as the video frames it; the page pans and zooms, nothing turns).
'use strict';
(function () {
  const ALL = JSON.parse(document.getElementById('nntopo-data').textContent);
  if (ALL.format !== 1) throw new Error('nntopo explore: unknown data format ' + ALL.format);
  const pristine = document.getElementById('app').cloneNode(true);
  let controller = null;
  function start(k) {
    if (controller) {  // a part shown before: its listeners go, its elements are replaced
      controller.abort();
      document.getElementById('app').replaceWith(pristine.cloneNode(true));
    }
    controller = new AbortController();
    const signal = controller.signal;
    run(ALL.parts[k], k, signal).catch(err => {
      console.error(err);
      const l = document.getElementById('loading');
      if (l) l.textContent = 'this page could not be drawn: ' + err.message;
    });
  }
  const h = new URLSearchParams((location.hash || '').replace(/^#/, ''));
  const first = Math.max(0, Math.min(ALL.parts.length - 1, parseInt(h.get('part') || '0', 10) || 0));
  window.nntopoStart = start;
  start(first);

async function run(D, part, signal) {

  async function unpack(b) {
    if (!b) return null;
    const s = atob(b.z), bytes = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    const buf = await new Response(stream).arrayBuffer();
    const T = {f4: Float32Array, u1: Uint8Array, u2: Uint16Array, i2: Int16Array}[b.t];
    return new T(buf);
  }

  // Per-frame positions (document.py framewise): 16-bit steps, each frame's as its change from
  // the frame before; summed up again here (the Uint16Array wraps as numpy's uint16 did).
  async function frameWise(b) {
    if (!b) return null;
    const q = await unpack(b), n = 2 * b.k, out = new Float32Array(q.length);
    for (let j = n; j < q.length; j++) q[j] = q[j] + q[j - n];
    for (let j = 0; j < q.length; j++) out[j] = b.lo[j & 1] + q[j] * b.step[j & 1];
    return out;
  }

  const E = D.E, T = D.frames, fps = D.fps, L = D.layout, N = D.N;
  const FW = L.width, FH = 8.0, CLIP = 40.0;
  const SCR = D.screen || null;
  const RINGS = D.rings || [], BOUNDS = D.bounds || [];
  const [G_LINES, G_SAMPLES] = D.grid || [0, 0], G = G_LINES * G_SAMPLES;
  let S = null;  // a screen part's frames
  if (SCR) {
    S = {points: await frameWise(SCR.points), grid: await frameWise(SCR.grid), boundary: await frameWise(SCR.boundary),
         plane: await frameWise(SCR.plane), heat: [], line: await unpack(SCR.line), lineOpacity: await unpack(SCR.line_opacity),
         counter: SCR.counter ? {lines: SCR.counter.lines, at: await unpack(SCR.counter.at)} : null,
         vc: SCR.view ? await unpack(SCR.view.center) : null, vh: SCR.view ? await unpack(SCR.view.half) : null,
         k: {grid: SCR.grid ? SCR.grid.k : 0, boundary: SCR.boundary ? SCR.boundary.k : 0, plane: SCR.plane ? SCR.plane.k : 0,
             heat: SCR.heat.map(h => h ? h.k : 0)},
         form: {grid: SCR.grid, boundary: SCR.boundary, plane: SCR.plane}};
    SCR.heat.forEach((h, k) => { S.form['heat' + k] = h; });
    for (const h of SCR.heat) S.heat.push(await frameWise(h));
    let sep = S.k.plane > 0;
    for (let f = 0; f < T && !sep; f++) sep = S.lineOpacity[f] > 0;
    S.separator = sep;
  }
  const M = [];
  for (const m of (D.motions || [])) {
    if (m.sampled) M.push({r: 0, q: await unpack(m.sampled), lo: m.sampled.lo, step: m.sampled.step});
    else M.push({r: m.r, x: await unpack(m.x), d: await unpack(m.d), maps: await unpack(m.maps), t: await unpack(m.t)});
  }
  const P = SCR ? N : M[0].r ? M[0].x.length / M[0].r : M[0].q.length / (E * D.blocks[0].frames);
  const labels = await unpack(D.labels), wrong = await unpack(D.wrong);
  const center = await unpack(D.center), half = await unpack(D.half), fade = await unpack(D.fade);
  const sheets = [];
  for (const s of (D.sheets || [])) sheets.push(await unpack(s));
  let arrows = null;
  if (D.arrows) {
    arrows = {layer: await unpack(D.arrows.layer), opacity: await unpack(D.arrows.opacity), layers: {}};
    for (const k of Object.keys(D.arrows.layers)) {
      const a = D.arrows.layers[k];
      arrows.layers[k] = {tails: await unpack(a.tails), tips: await unpack(a.tips), folds: await unpack(a.folds), n: a.n};
    }
  }
  // The parts of the P points: grid, data, heat rings per level, boundary pieces.
  const DATA0 = G, RING0 = G + N;
  const ringStarts = [];
  let at = RING0;
  for (const level of RINGS) { const s = []; for (const n of level) { s.push([at, n]); at += n; } ringStarts.push(s); }
  const bounds = [];
  for (const n of BOUNDS) { bounds.push([at, n]); at += n; }
  const starts = D.blocks.map(b => b.start);
  // A tick per stage (a screen part: per block, training then its end)
  const ticked = (b, i) => i === 0 || b.kind === 'stage' || b.kind === 'fade' || (SCR !== null && b.frames > 0);
  const stageStarts = D.blocks.map((b, i) => i).filter(i => ticked(D.blocks[i], i)).map(i => starts[i]);
  const fadeBlock = D.blocks.findIndex(b => b.kind === 'fade');
  const resultFrom = SCR ? SCR.result_from : fadeBlock >= 0 ? starts[fadeBlock] : T - 1;

  // --- state ---------------------------------------------------------------------------------
  const TOGGLES = [['grid', 'grid'], ['heat', 'heat map'], ['data', 'data'], ['separator', 'separator'],
                   ['arrows', 'arrows'], ['wrong', 'ring wrong'], ['turn', 'turning camera']];
  const state = {t: 0, playing: false, speed: 1, az: 0, el: 0, zoom: 1, px: 0, py: 0,
                 on: {grid: true, heat: true, data: true, separator: true, arrows: true, wrong: false, turn: true},
                 hidden: new Set(), hover: -1};
  readHash();

  // --- geometry ------------------------------------------------------------------------------
  function blockOf(f) {
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (starts[mid] <= f) lo = mid; else hi = mid - 1; }
    return lo;
  }
  // The picture's points (P x E) at whole frame f, into out; only points [from, to).
  function framePositions(f, out, from = 0, to = P) {
    if (SCR) { const base = f * P * 2; for (let j = from * 2; j < to * 2; j++) out[j] = S.points[base + j]; return; }
    const i = blockOf(f), m = M[i], k = f - starts[i];
    if (!m.r) {
      const base = k * P * E;
      for (let j = from * E; j < to * E; j++) { const e = j % E; out[j] = m.lo[e] + m.q[base + j] * m.step[e]; }
      return;
    }
    const r = m.r, mp = m.maps, off = k * r * E, t = m.t[k], x = m.x, d = m.d;
    for (let p = from; p < to; p++) {
      let a0 = 0, a1 = 0, a2 = 0;
      for (let j = 0; j < r; j++) {
        const v = d ? x[p * r + j] + t * d[p * r + j] : x[p * r + j];
        const o = off + j * E;
        a0 += v * mp[o]; a1 += v * mp[o + 1]; if (E === 3) a2 += v * mp[o + 2];
      }
      out[p * E] = a0; out[p * E + 1] = a1; if (E === 3) out[p * E + 2] = a2;
    }
  }
  const pos0 = new Float64Array(P * E), pos1 = new Float64Array(P * E), pos = new Float64Array(P * E);
  // The points at time tf (frames, fractional: between two frames, the straight mix of both).
  function positions(tf) {
    const f0 = Math.max(0, Math.min(T - 1, Math.floor(tf))), a = tf - f0;
    framePositions(f0, pos);
    if (a > 1e-9 && f0 + 1 < T) {
      framePositions(f0 + 1, pos1);
      for (let j = 0; j < pos.length; j++) pos[j] += a * (pos1[j] - pos[j]);
    }
    return pos;
  }
  function viewAt(tf) {
    const f0 = Math.max(0, Math.min(T - 1, Math.floor(tf))), f1 = Math.min(T - 1, f0 + 1), a = Math.max(0, tf - f0);
    const mix = (arr, k, n) => arr[f0 * n + k] + a * (arr[f1 * n + k] - arr[f0 * n + k]);
    const az = D.camera.start + (state.on.turn ? D.camera.turn * tf / fps : 0) + state.az;
    const el = Math.max(-Math.PI / 2, Math.min(Math.PI / 2, D.camera.elevation + state.el));
    return {cx: mix(center, 0, 2), cy: mix(center, 1, 2), h: mix(half, 0, 1), c: Math.cos(az), s: Math.sin(az),
            ce: Math.cos(el), se: Math.sin(el)};
  }
  let ppu = 1;  // CSS pixels per manim unit
  // A picture point to CSS pixels on the canvas: the video's camera.project and camera.screen, then
  // the page's zoom and pan.
  function toScreen(v, x, y, z, out, k) {
    let u = x, w = y;
    if (E === 3) { const xr = v.c * x - v.s * y, yr = v.s * x + v.c * y; u = xr; w = z * v.ce + yr * v.se; }
    canvasXY((u - v.cx) / v.h * L.plot_half + L.plot_center[0], (w - v.cy) / v.h * L.plot_half + L.plot_center[1], out, k);
  }
  // A point of the video's screen (manim units) to CSS pixels: the page's zoom and pan, clipped.
  function canvasXY(sx, sy, out, k) {
    sx = L.plot_center[0] + (sx - L.plot_center[0]) * state.zoom + state.px;
    sy = L.plot_center[1] + (sy - L.plot_center[1]) * state.zoom + state.py;
    sx = Math.max(-CLIP, Math.min(CLIP, Math.fround(sx)));
    sy = Math.max(-CLIP, Math.min(CLIP, Math.fround(sy)));
    out[k] = (sx + FW / 2) * ppu; out[k + 1] = (FH / 2 - sy) * ppu;
  }
  const scr = new Float64Array(P * 2), scrPoints = scr;
  function project(tf) {
    if (SCR) { const p = positions(tf); for (let i = 0; i < P; i++) canvasXY(p[2 * i], p[2 * i + 1], scr, 2 * i); return null; }
    const p = positions(tf), v = viewAt(tf);
    for (let i = 0; i < P; i++) toScreen(v, p[i * E], p[i * E + 1], E === 3 ? p[i * E + 2] : 0, scr, i * 2);
    return v;
  }

  // --- drawing -------------------------------------------------------------------------------
  const canvas = document.getElementById('view'), ctx = canvas.getContext('2d', {alpha: false});
  const stage = document.getElementById('stage');
  let dpr = 1;
  function resize() {
    const controls = document.getElementById('controls').getBoundingClientRect().height;
    const room = Math.max(200, window.innerHeight - controls - 16);
    const w = Math.min(window.innerWidth - 16, room * FW / FH);
    stage.style.width = w + 'px'; stage.style.height = (w * FH / FW) + 'px';
    dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(w * FH / FW * dpr);
    canvas.style.width = w + 'px'; canvas.style.height = (w * FH / FW) + 'px';
    ppu = w / FW;
    layoutText();
    draw();
  }
  // Centripetal Catmull-Rom through anchors a .. a + n - 1 of scr (paths.py's bezier).
  function smoothPath(a, n, closed, scr = scrPoints) {
    if (n < 2) return;
    ctx.moveTo(scr[2 * a], scr[2 * a + 1]);
    const pieces = closed ? n : n - 1;
    for (let j = 0; j < pieces; j++) {
      const b = closed ? (j + 1) % n : j + 1;
      const bf = closed ? (j - 1 + n) % n : Math.max(j - 1, 0), af = closed ? (j + 2) % n : Math.min(b + 1, n - 1);
      const p0x = scr[2 * (a + bf)], p0y = scr[2 * (a + bf) + 1], p1x = scr[2 * (a + j)], p1y = scr[2 * (a + j) + 1];
      const p2x = scr[2 * (a + b)], p2y = scr[2 * (a + b) + 1], p3x = scr[2 * (a + af)], p3y = scr[2 * (a + af) + 1];
      const d1 = Math.sqrt(Math.hypot(p1x - p0x, p1y - p0y)), d2 = Math.sqrt(Math.hypot(p2x - p1x, p2y - p1y));
      const d3 = Math.sqrt(Math.hypot(p3x - p2x, p3y - p2y)), tiny = 1e-3;
      const e1 = Math.max(d1, tiny), e2 = Math.max(d2, tiny), e3 = Math.max(d3, tiny);
      let h0x, h0y, h1x, h1y;
      if (d1 < tiny || d2 < tiny) { h0x = p1x + (p2x - p1x) / 3; h0y = p1y + (p2y - p1y) / 3; } else {
        const k = 3 * e1 * (e1 + e2), c = 2 * e1 * e1 + 3 * e1 * e2 + e2 * e2;
        h0x = (e1 * e1 * p2x - e2 * e2 * p0x + c * p1x) / k; h0y = (e1 * e1 * p2y - e2 * e2 * p0y + c * p1y) / k;
      }
      if (d3 < tiny || d2 < tiny) { h1x = p2x - (p2x - p1x) / 3; h1y = p2y - (p2y - p1y) / 3; } else {
        const k = 3 * e3 * (e3 + e2), c = 2 * e3 * e3 + 3 * e3 * e2 + e2 * e2;
        h1x = (e3 * e3 * p1x - e2 * e2 * p3x + c * p2x) / k; h1y = (e3 * e3 * p1y - e2 * e2 * p3y + c * p2y) / k;
      }
      ctx.bezierCurveTo(h0x, h0y, h1x, h1y, p2x, p2y);
    }
    if (closed) ctx.closePath();
  }
  function polyline(a, n) {
    ctx.moveTo(scr[2 * a], scr[2 * a + 1]);
    for (let j = 1; j < n; j++) ctx.lineTo(scr[2 * (a + j)], scr[2 * (a + j) + 1]);
  }
  function stroke(role, color, scale = 1) {
    const [w, o] = D.strokes[role];
    ctx.lineWidth = Math.max(0.5, w * 0.01 * ppu); ctx.strokeStyle = color || D.theme[role]; ctx.globalAlpha = o * scale;
    ctx.stroke(); ctx.globalAlpha = 1;
  }
  function plotClip() {
    const x0 = (L.plot_center[0] - L.plot_half + FW / 2) * ppu, y0 = (FH / 2 - L.plot_center[1] - L.plot_half) * ppu;
    ctx.beginPath(); ctx.rect(x0, y0, 2 * L.plot_half * ppu, 2 * L.plot_half * ppu); ctx.clip();
  }
  const stats = {frames: 0, ms: 0, first: null};
  let lastDrawn = null;
  function draw() {
    const t0 = performance.now();
    const tf = state.t, f = Math.max(0, Math.min(T - 1, Math.round(tf))), v = project(tf);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = D.theme.background; ctx.fillRect(0, 0, FW * ppu, FH * ppu);
    ctx.lineJoin = 'round'; ctx.lineCap = 'round';
    if (SCR) drawScreen(tf, f);
    else drawWorld(tf, f, v);
    if (state.hover >= 0) drawTrajectory(state.hover, tf);
    stats.frames++; stats.ms += performance.now() - t0;
    if (stats.first === null) { stats.first = performance.now(); document.body.dataset.ready = '1'; }
    lastDrawn = tf;
    updateText(f);
  }
  function drawDots(f) {
    const r = D.dot * ppu * Math.sqrt(state.zoom > 1 ? 1 : state.zoom);
    for (let c = 0; c < D.classes.length; c++) {
      if (state.hidden.has(c)) continue;
      ctx.beginPath();
      for (let i = 0; i < N; i++) {
        if (labels[i] !== c) continue;
        const x = scr[2 * (DATA0 + i)], y = scr[2 * (DATA0 + i) + 1];
        ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, 2 * Math.PI);
      }
      ctx.fillStyle = D.colors[c]; ctx.globalAlpha = D.dot_opacity; ctx.fill(); ctx.globalAlpha = 1;
    }
    if (state.on.wrong || f >= resultFrom) {
      const r2 = D.ring * ppu;
      ctx.beginPath();
      for (let i = 0; i < N; i++) {
        if (!wrong[i] || state.hidden.has(labels[i])) continue;
        const x = scr[2 * (DATA0 + i)], y = scr[2 * (DATA0 + i) + 1];
        ctx.moveTo(x + r2, y); ctx.arc(x, y, r2, 0, 2 * Math.PI);
      }
      stroke('ring', D.theme.ink);
    }
  }
  // A screen part's path at time tf, between the two frames around tf, as the video's path of
  // that frame: Catmull-Rom through its anchors (smooth: each subpath's length, open or closed),
  // or its Bezier control points (4 per cubic piece; a piece that does not start where the one
  // before ended starts a new subpath).
  const pathBuf = {};
  function screenPath(name, arr, k, tf) {
    if (!arr || !k) return false;
    const f0 = Math.max(0, Math.min(T - 1, Math.floor(tf))), f1 = Math.min(T - 1, f0 + 1), a = Math.max(0, tf - f0);
    const buf = pathBuf[name] || (pathBuf[name] = new Float64Array(2 * k));
    const b0 = f0 * k * 2, b1 = f1 * k * 2;
    for (let j = 0; j < k; j++) {
      const x = arr[b0 + 2 * j] + a * (arr[b1 + 2 * j] - arr[b0 + 2 * j]);
      const y = arr[b0 + 2 * j + 1] + a * (arr[b1 + 2 * j + 1] - arr[b0 + 2 * j + 1]);
      canvasXY(x, y, buf, 2 * j);
    }
    const form = S.form[name];
    if (form.smooth) {
      let a = 0;
      for (const n of form.lengths) { smoothPath(a, n, form.closed, buf); a += n; }
      return true;
    }
    let ex = NaN, ey = NaN;
    for (let j = 0; j + 3 < k; j += 4) {
      const x0 = buf[2 * j], y0 = buf[2 * j + 1];
      if (!(Math.abs(x0 - ex) < 1e-3 && Math.abs(y0 - ey) < 1e-3)) ctx.moveTo(x0, y0);
      ctx.bezierCurveTo(buf[2 * j + 2], buf[2 * j + 3], buf[2 * j + 4], buf[2 * j + 5], buf[2 * j + 6], buf[2 * j + 7]);
      ex = buf[2 * j + 6]; ey = buf[2 * j + 7];
    }
    return true;
  }
  function drawScreen(tf, f) {
    if (state.on.heat) {
      S.heat.forEach((h, k) => { ctx.beginPath(); if (screenPath('heat' + k, h, S.k.heat[k], tf)) { ctx.fillStyle = D.heat[k]; ctx.fill(); } });
    }
    if (state.on.grid) { ctx.beginPath(); if (screenPath('grid', S.grid, S.k.grid, tf)) stroke('grid'); }
    ctx.beginPath(); if (screenPath('boundary', S.boundary, S.k.boundary, tf)) stroke('boundary', D.theme.ink);
    if (state.on.data) drawDots(f);
    const fo = S.lineOpacity[f];
    if (state.on.separator && fo > 0) {
      ctx.save(); plotClip();
      if (S.k.plane) {  // a C-way head: the boundaries between its regions, stroked
        ctx.beginPath(); if (screenPath('plane', S.plane, S.k.plane, tf)) stroke('regions', D.theme.ink, fo);
      } else {  // the separating line's ends, as the video clips them to the plot
        const tmp = new Float64Array(4), ln = S.line, o = f * 4;
        canvasXY(ln[o], ln[o + 1], tmp, 0); canvasXY(ln[o + 2], ln[o + 3], tmp, 2);
        ctx.beginPath(); ctx.moveTo(tmp[0], tmp[1]); ctx.lineTo(tmp[2], tmp[3]); stroke('line', D.theme.ink, fo);
      }
      ctx.restore();
    }
  }
  function drawWorld(tf, f, v) {
    if (state.on.heat) {
      RINGS.forEach((level, k) => {
        ctx.beginPath(); for (const [a, n] of ringStarts[k]) smoothPath(a, n, true);
        ctx.fillStyle = D.heat[k]; ctx.fill();
      });
    }
    if (state.on.grid) {
      ctx.beginPath(); for (let l = 0; l < G_LINES; l++) smoothPath(l * G_SAMPLES, G_SAMPLES, false);
      stroke('grid');
    }
    if (bounds.length) { ctx.beginPath(); for (const [a, n] of bounds) polyline(a, n); stroke('boundary', D.theme.ink); }
    if (state.on.data) drawDots(f);
    const fo = fade[f];
    if (state.on.separator && fo > 0) {
      ctx.save(); plotClip();
      if (D.line) {  // w . y + c = 0 in the picture
        const [w0, w1, c] = D.line, ww = w0 * w0 + w1 * w1;
        if (ww > 1e-24) {
          const p0x = -c * w0 / ww, p0y = -c * w1 / ww, big = 1e3 * (v.h + Math.hypot(v.cx, v.cy) + 1) / Math.sqrt(ww);
          const tmp = new Float64Array(4);
          toScreenNoClip(v, p0x - big * w1, p0y + big * w0, tmp, 0); toScreenNoClip(v, p0x + big * w1, p0y - big * w0, tmp, 2);
          ctx.beginPath(); ctx.moveTo(tmp[0], tmp[1]); ctx.lineTo(tmp[2], tmp[3]); stroke('line', D.theme.ink, fo);
        }
      }
      sheets.forEach((s, k) => {
        const n = D.sheet_sizes[k], tmp = new Float64Array(2 * n);
        for (let j = 0; j < n; j++) toScreen(v, s[j * E], s[j * E + 1], E === 3 ? s[j * E + 2] : 0, tmp, 2 * j);
        ctx.beginPath(); ctx.moveTo(tmp[0], tmp[1]); for (let j = 1; j < n; j++) ctx.lineTo(tmp[2 * j], tmp[2 * j + 1]);
        if (E === 3) { ctx.closePath(); ctx.fillStyle = D.theme.ink; ctx.globalAlpha = D.plane_fill_opacity * fo; ctx.fill(); ctx.globalAlpha = 1; }
        stroke(E === 3 ? 'plane' : 'regions', D.theme.ink, fo);
      });
      ctx.restore();
    }
    if (arrows && state.on.arrows && arrows.layer[f] >= 0 && arrows.opacity[f] > 0) drawArrows(v, f);
  }
  function toScreenNoClip(v, x, y, out, k) {
    let sx = (x - v.cx) / v.h * L.plot_half + L.plot_center[0], sy = (y - v.cy) / v.h * L.plot_half + L.plot_center[1];
    sx = L.plot_center[0] + (sx - L.plot_center[0]) * state.zoom + state.px;
    sy = L.plot_center[1] + (sy - L.plot_center[1]) * state.zoom + state.py;
    out[k] = (sx + FW / 2) * ppu; out[k + 1] = (FH / 2 - sy) * ppu;
  }
  function drawArrows(v, f) {
    const a = arrows.layers[String(arrows.layer[f])], alpha = arrows.opacity[f], tmp = new Float64Array(4);
    for (const fold of [0, 1]) {
      ctx.beginPath();
      for (let i = 0; i < a.n; i++) {
        if (a.folds[i] !== fold) continue;
        toScreenNoClip(v, a.tails[2 * i], a.tails[2 * i + 1], tmp, 0); toScreenNoClip(v, a.tips[2 * i], a.tips[2 * i + 1], tmp, 2);
        const dx = tmp[2] - tmp[0], dy = tmp[3] - tmp[1], len = Math.hypot(dx, dy);
        if (len < 1e-9) continue;
        const h = Math.min(0.13 * ppu, len / 3), ux = -dx / len, uy = -dy / len, c = Math.cos(0.45), s = Math.sin(0.45);
        ctx.moveTo(tmp[0], tmp[1]); ctx.lineTo(tmp[2], tmp[3]);
        for (const sg of [1, -1]) {  // screen y points down: the barbs mirror, the pair is the same
          ctx.moveTo(tmp[2], tmp[3]); ctx.lineTo(tmp[2] + h * (c * ux - sg * s * uy), tmp[3] + h * (sg * s * ux + c * uy));
        }
      }
      stroke(fold ? 'fold' : 'arrow', null, alpha);
    }
  }
  const one = new Float64Array(E), dot = new Float64Array(2);
  function pointAt(i, f) { framePositions(f, pos0, DATA0 + i, DATA0 + i + 1); for (let e = 0; e < E; e++) one[e] = pos0[(DATA0 + i) * E + e]; return one; }
  function drawTrajectory(i, tf) {
    if (SCR) {  // where the point is on the screen in every frame, through the page's pan and zoom
      ctx.beginPath();
      for (let f = 0; f < T; f++) {
        const p = pointAt(i, f); canvasXY(p[0], p[1], dot, 0);
        if (f === 0) ctx.moveTo(dot[0], dot[1]); else ctx.lineTo(dot[0], dot[1]);
      }
      stroke('line', D.theme.ink, 0.35);
      for (const k of stageStarts) {
        const p = pointAt(i, k); canvasXY(p[0], p[1], dot, 0);
        ctx.beginPath(); ctx.arc(dot[0], dot[1], 2.5, 0, 2 * Math.PI); ctx.fillStyle = D.theme.ink; ctx.fill();
      }
      ctx.beginPath(); ctx.arc(scr[2 * i], scr[2 * i + 1], D.ring * ppu * 1.4, 0, 2 * Math.PI); stroke('line', D.theme.ink, 0.9);
      return;
    }
    // Where the point is in every frame, through the current camera and each frame's view.
    const vNow = viewAt(tf);
    ctx.beginPath();
    for (let f = 0; f < T; f++) {
      const p = pointAt(i, f), v = Object.assign({}, vNow, {cx: center[2 * f], cy: center[2 * f + 1], h: half[f]});
      toScreen(v, p[0], p[1], E === 3 ? p[2] : 0, dot, 0);
      if (f === 0) ctx.moveTo(dot[0], dot[1]); else ctx.lineTo(dot[0], dot[1]);
    }
    stroke('line', D.theme.ink, 0.35);
    for (const k of stageStarts) {
      const p = pointAt(i, k), v = Object.assign({}, vNow, {cx: center[2 * k], cy: center[2 * k + 1], h: half[k]});
      toScreen(v, p[0], p[1], E === 3 ? p[2] : 0, dot, 0);
      ctx.beginPath(); ctx.arc(dot[0], dot[1], 2.5, 0, 2 * Math.PI); ctx.fillStyle = D.theme.ink; ctx.fill();
    }
    const x = scr[2 * (DATA0 + i)], y = scr[2 * (DATA0 + i) + 1];
    ctx.beginPath(); ctx.arc(x, y, D.ring * ppu * 1.4, 0, 2 * Math.PI); stroke('line', D.theme.ink, 0.9);
  }

  // --- text ----------------------------------------------------------------------------------
  const $ = id => document.getElementById(id);
  function lines(el, list, cls) {
    el.replaceChildren();
    list.forEach((s, k) => { const d = document.createElement('div'); d.className = cls(k); d.textContent = s; el.appendChild(d); });
  }
  lines($('info'), D.info, () => 'line info');
  lines($('result'), D.result, k => k ? 'line result' : 'line result-head');
  D.classes.forEach((name, c) => {
    const b = document.createElement('button');
    b.type = 'button'; b.className = 'class'; b.dataset.cls = String(c);
    const sw = document.createElement('span'); sw.className = 'swatch'; sw.style.background = D.colors[c];
    const label = document.createElement('span'); label.textContent = name;
    b.append(sw, label);
    b.addEventListener('click', () => { if (state.hidden.has(c)) state.hidden.delete(c); else state.hidden.add(c); changed(); });
    $('legend').appendChild(b);
  });
  if (D.classes.length > 2) $('legend').classList.add('many');
  let counter = null;  // the line that changes with the time (a training step, an epoch), under the legend
  if (S && S.counter) {
    counter = document.createElement('div'); counter.id = 'counter'; counter.className = 'line';
    $('legend').after(counter);
  }
  function layoutText() {
    const u = ppu, px = v => v * u + 'px', em = size => (size / 72 * u * 0.82) + "px";
    const cap = $('caption');
    cap.style.top = px(L.caption_top); cap.style.left = px(L.caption_margin / 2); cap.style.right = px(L.caption_margin / 2);
    cap.style.fontSize = em(L.sizes.caption);
    const panel = $('panel');
    panel.style.left = px(L.panel_left + FW / 2); panel.style.right = px(L.frame_margin);
    panel.style.top = L.panel === 'side' ? px(L.info_top) : px(FH / 2 - L.strip_top);
    panel.style.bottom = px(L.frame_margin);
    panel.classList.toggle('strip', L.panel !== 'side');
    panel.style.setProperty('--info', em(L.sizes.info)); panel.style.setProperty('--legend', em(L.sizes.legend));
    panel.style.setProperty('--result-head', em(L.sizes.result_head)); panel.style.setProperty('--result', em(L.sizes.result));
    panel.style.setProperty('--notes', em(L.sizes.notes)); panel.style.setProperty('--gap', px(L.group_gap));
    panel.style.setProperty('--dot', px(2 * L.legend_dot));
    if (counter) { counter.style.fontSize = em(L.sizes.counter); counter.style.marginTop = L.panel === 'side' ? px(Math.max(0, L.counter_gap - L.group_gap)) : '0px'; }
    lastCaption = null;
  }
  let lastCaption = null, lastNotes = null, lastResult = null;
  function updateText(f) {
    const b = D.blocks[blockOf(f)];
    if (b.caption !== lastCaption) {
      const cap = $('caption'); cap.textContent = b.caption; lastCaption = b.caption;
      cap.style.transform = '';
      const room = cap.clientWidth, need = cap.scrollWidth;
      if (need > room && need > 0) { cap.style.transform = `scale(${room / need})`; }
    }
    const notes = b.notes.join('\n');
    if (notes !== lastNotes) { lines($('notes'), b.notes, () => 'line note'); lastNotes = notes; }
    const shown = f >= resultFrom;
    if (shown !== lastResult) {
      $('result').hidden = !shown; lastResult = shown;
      if (counter) counter.hidden = shown && L.panel !== 'side';  // the strip then holds the numbers, as in the video
    }
    if (counter) { const line = S.counter.lines[S.counter.at[f]]; if (counter.textContent !== line) counter.textContent = line; }
    $('clock').textContent = (state.t / fps).toFixed(2) + ' / ' + ((T - 1) / fps).toFixed(2) + ' s';
    const time = $('time'); if (document.activeElement !== time || state.playing) time.value = String(state.t);
    document.querySelectorAll('#legend .class').forEach(el => el.setAttribute('aria-pressed', String(!state.hidden.has(+el.dataset.cls))));
  }

  // --- controls ------------------------------------------------------------------------------
  const time = $('time');
  time.max = String(T - 1);
  time.addEventListener('input', () => { state.t = +time.value; changed(); });
  const ticks = $('ticks');
  D.blocks.forEach((b, i) => {
    if (!ticked(b, i)) return;
    const tick = document.createElement('button');
    tick.type = 'button'; tick.className = 'tick ' + b.kind; tick.title = b.caption; tick.setAttribute('aria-label', b.caption);
    tick.style.left = (100 * b.start / Math.max(1, T - 1)) + '%';
    tick.addEventListener('click', () => { state.t = b.start; changed(); });
    ticks.appendChild(tick);
  });
  const toggles = $('toggles');
  for (const [key, name] of TOGGLES) {
    if (key === 'arrows' && !arrows) continue;
    if (key === 'turn' && E !== 3) continue;
    if (key === 'heat' && !(SCR ? S.heat.length : RINGS.length)) continue;
    if (SCR && key === 'grid' && !S.k.grid) continue;
    if (SCR && key === 'separator' && !S.separator) continue;
    const label = document.createElement('label'), box = document.createElement('input');
    box.type = 'checkbox'; box.checked = state.on[key]; box.dataset.key = key;
    box.addEventListener('change', () => { state.on[key] = box.checked; changed(); });
    label.append(box, document.createTextNode(' ' + name));
    toggles.appendChild(label);
  }
  $('speed').value = String(state.speed);
  $('speed').addEventListener('change', () => { state.speed = +$('speed').value; changed(); });
  $('play').addEventListener('click', () => setPlaying(!state.playing));
  $('prev').addEventListener('click', () => stageStep(-1));
  $('next').addEventListener('click', () => stageStep(1));
  $('reset').addEventListener('click', resetCamera);
  function resetCamera() { Object.assign(state, {az: 0, el: 0, zoom: 1, px: 0, py: 0}); changed(); }
  function stageStep(dir) {
    const now = state.t;
    let to;
    if (dir > 0) to = stageStarts.find(s => s > now + 1e-6); else to = [...stageStarts].reverse().find(s => s < now - 1e-6);
    state.t = to === undefined ? (dir > 0 ? T - 1 : 0) : to;
    changed();
  }
  let clockStart = null;
  function setPlaying(on) {
    if (on && state.t >= T - 1) state.t = 0;
    state.playing = on; $('play').textContent = on ? 'pause' : 'play';
    $('play').setAttribute('aria-label', (on ? 'pause' : 'play') + ' (space)');
    clockStart = null;
    if (on) requestAnimationFrame(tick);
    changed();
  }
  function tick(now) {
    if (!state.playing) return;
    if (clockStart !== null) state.t = Math.min(T - 1, state.t + (now - clockStart) / 1000 * fps * state.speed);
    clockStart = now;
    if (state.t >= T - 1) { setPlaying(false); return; }
    draw();
    requestAnimationFrame(tick);
  }
  document.addEventListener('keydown', e => {
    if (e.target && e.target.id === 'part') return;
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const tag = (e.target && e.target.tagName) || '';
    const box = tag === 'INPUT' && e.target.type === 'checkbox';  // space toggles it, as it should
    if (e.key === ' ' && tag !== 'SELECT' && !box) { e.preventDefault(); setPlaying(!state.playing); }
    else if ((e.key === ',' || e.key === '.') && tag !== 'SELECT') {  // a frame back or on
      state.t = Math.max(0, Math.min(T - 1, Math.round(state.t) + (e.key === '.' ? 1 : -1))); changed();
    }
    else if (e.key === 'ArrowRight' && tag !== 'SELECT') { e.preventDefault(); stageStep(1); }
    else if (e.key === 'ArrowLeft' && tag !== 'SELECT') { e.preventDefault(); stageStep(-1); }
    else if (e.key === 'r' && tag !== 'INPUT') resetCamera();
    else if ((e.key === 'n' || e.key === 'p') && tag !== 'INPUT' && N > 0) {  // question a point by keyboard
      let i = state.hover;
      for (let k = 0; k < N; k++) {
        i = (i + (e.key === 'n' ? 1 : -1) + N) % N;
        if (!state.hidden.has(labels[i])) break;
      }
      state.hover = i; draw();
      showTip(scr[2 * (DATA0 + i)], scr[2 * (DATA0 + i) + 1]);
    }
    else if (e.key === 'Escape') { state.hover = -1; $('tip').hidden = true; changed(); }
    else if ((e.key === '+' || e.key === '=') && tag !== 'INPUT') { state.zoom *= 1.2; changed(); }
    else if (e.key === '-' && tag !== 'INPUT') { state.zoom /= 1.2; changed(); }
    else if (document.activeElement === canvas && ['ArrowUp', 'ArrowDown', 'a', 'd'].includes(e.key)) {
      e.preventDefault();
      if (E === 3) { if (e.key === 'ArrowUp') state.el += 0.1; if (e.key === 'ArrowDown') state.el -= 0.1; if (e.key === 'a') state.az -= 0.1; if (e.key === 'd') state.az += 0.1; }
      else { if (e.key === 'ArrowUp') state.py += 0.2; if (e.key === 'ArrowDown') state.py -= 0.2; if (e.key === 'a') state.px -= 0.2; if (e.key === 'd') state.px += 0.2; }
      changed();
    }
  }, {signal});
  let drag = null;
  canvas.addEventListener('pointerdown', e => { drag = {x: e.clientX, y: e.clientY}; canvas.setPointerCapture(e.pointerId); });
  canvas.addEventListener('pointerup', () => { drag = null; });
  canvas.addEventListener('pointermove', e => {
    if (drag) {
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      drag = {x: e.clientX, y: e.clientY};
      if (E === 3 && !e.shiftKey) { state.az -= dx * 0.01; state.el = Math.max(-Math.PI, Math.min(Math.PI, state.el + dy * 0.01)); }
      else { state.px += dx / ppu; state.py -= dy / ppu; }
      state.hover = -1; $('tip').hidden = true;
      changed();
      return;
    }
    hover(e);
  });
  canvas.addEventListener('pointerleave', () => { if (state.hover >= 0) { state.hover = -1; $('tip').hidden = true; changed(); } });
  canvas.addEventListener('wheel', e => {
    e.preventDefault();
    const k = Math.exp(-e.deltaY * 0.0015);
    const rect = canvas.getBoundingClientRect();
    const mx = (e.clientX - rect.left) / ppu - FW / 2, my = FH / 2 - (e.clientY - rect.top) / ppu;
    // zoom about the pointer: the screen point under it stays
    state.px = (mx - L.plot_center[0]) - k * (mx - L.plot_center[0] - state.px);
    state.py = (my - L.plot_center[1]) - k * (my - L.plot_center[1] - state.py);
    state.zoom *= k;
    changed();
  }, {passive: false});
  function hover(e) {
    if (!state.on.data) return;
    const rect = canvas.getBoundingClientRect(), mx = e.clientX - rect.left, my = e.clientY - rect.top;
    let best = -1, bd = 64;  // within 8 px
    for (let i = 0; i < N; i++) {
      if (state.hidden.has(labels[i])) continue;
      const dx = scr[2 * (DATA0 + i)] - mx, dy = scr[2 * (DATA0 + i) + 1] - my, d2 = dx * dx + dy * dy;
      if (d2 < bd) { bd = d2; best = i; }
    }
    if (best !== state.hover) { state.hover = best; showTip(mx, my); draw(); }
    else if (best >= 0) showTip(mx, my);
  }
  function showTip(mx, my) {
    const tip = $('tip'), i = state.hover;
    if (i < 0) { tip.hidden = true; return; }
    const f = Math.round(state.t), p = positions(state.t), b = D.blocks[blockOf(f)];
    const coords = [];
    for (let e = 0; e < E; e++) coords.push(p[(DATA0 + i) * E + e].toFixed(3));
    let where = ['(' + coords.join(', ') + ') in the picture (R^' + E + ')'];
    if (SCR) {
      where = ['(' + coords.join(', ') + ') on the screen'];
      if (S.vc) {  // back through the video's view of this frame: the representation's coordinates
        const at = k => (p[2 * i + k] - L.plot_center[k]) / L.plot_half * S.vh[f] + S.vc[2 * f + k];
        where.unshift('(' + at(0).toFixed(3) + ', ' + at(1).toFixed(3) + ') in the representation (R^2)');
      }
    }
    lines(tip, [D.classes[labels[i]] + (wrong[i] ? ' (the network gets it wrong)' : ''), 'row ' + i + ' of the data',
                ...where, b.caption], k => 'line' + (k ? '' : ' head'));
    tip.dataset.row = String(i);
    tip.hidden = false;
    const w = stage.clientWidth;
    tip.style.left = Math.max(4, Math.min(mx + 14, w - tip.offsetWidth - 4)) + 'px';
    tip.style.top = (my + 14 + tip.offsetHeight > stage.clientHeight ? my - 14 - tip.offsetHeight : my + 14) + 'px';
  }

  // --- the URL's hash: time, camera, toggles, hidden classes ----------------------------------
  function readHash() {
    const h = new URLSearchParams((location.hash || '').replace(/^#/, ''));
    const num = (k, d) => { const v = parseFloat(h.get(k)); return Number.isFinite(v) ? v : d; };
    state.t = Math.max(0, Math.min(T - 1, num('t', 0) * fps));
    state.az = num('az', 0); state.el = num('el', 0); state.zoom = Math.max(1e-3, num('zoom', 1));
    state.px = num('px', 0); state.py = num('py', 0); state.speed = [0.25, 0.5, 1, 2].includes(num('speed', 1)) ? num('speed', 1) : 1;
    if (h.has('off')) for (const k of h.get('off').split(',')) if (k in state.on) state.on[k] = false;
    if (h.has('show')) for (const k of h.get('show').split(',')) if (k in state.on) state.on[k] = true;
    if (h.has('hide')) for (const k of h.get('hide').split(',')) { const c = parseInt(k, 10); if (c >= 0 && c < D.classes.length) state.hidden.add(c); }
  }
  const DEFAULTS = {grid: true, heat: true, data: true, separator: true, arrows: true, wrong: false, turn: true};
  let hashTimer = null;
  function writeHash() {
    const r = v => String(Math.round(v * 1000) / 1000);
    const parts = (part ? ['part=' + part] : []).concat(['t=' + r(state.t / fps)]);
    if (state.az || state.el) parts.push('az=' + r(state.az), 'el=' + r(state.el));
    if (state.zoom !== 1 || state.px || state.py) parts.push('zoom=' + r(state.zoom), 'px=' + r(state.px), 'py=' + r(state.py));
    if (state.speed !== 1) parts.push('speed=' + state.speed);
    const off = Object.keys(DEFAULTS).filter(k => DEFAULTS[k] && !state.on[k]), show = Object.keys(DEFAULTS).filter(k => !DEFAULTS[k] && state.on[k]);
    if (off.length) parts.push('off=' + off.join(','));
    if (show.length) parts.push('show=' + show.join(','));
    if (state.hidden.size) parts.push('hide=' + [...state.hidden].sort().join(','));
    try { history.replaceState(null, '', '#' + parts.join('&')); } catch (err) { /* a srcdoc frame has no URL to keep */ }
  }
  function changed() {
    draw();
    document.querySelectorAll('#toggles input').forEach(b => { b.checked = state.on[b.dataset.key]; });
    clearTimeout(hashTimer); hashTimer = setTimeout(writeHash, state.playing ? 500 : 100);
  }

  // --- the page's hooks for tests and measurements --------------------------------------------
  window.nntopo = {
    frames: T, fps, E, N, part, parts: ALL.parts.length,
    // The data points' centres in CSS pixels of the canvas at time tf (frames), by row.
    project(tf) { project(tf); const out = []; for (let i = 0; i < N; i++) out.push([scr[2 * (DATA0 + i)], scr[2 * (DATA0 + i) + 1]]); project(state.t); return out; },
    seek(tf) { state.t = Math.max(0, Math.min(T - 1, tf)); changed(); },
    state() { return {t: state.t, playing: state.playing, az: state.az, el: state.el, zoom: state.zoom, px: state.px, py: state.py,
                      on: Object.assign({}, state.on), hidden: [...state.hidden], hover: state.hover}; },
    stats,
    canvasRect() { const r = canvas.getBoundingClientRect(); return {x: r.left, y: r.top, width: r.width, height: r.height}; },
  };
  if (ALL.parts.length > 1) {  // a figure in several parts: one at a time
    const pick = $('part');
    ALL.parts.forEach((p, k) => { const o = document.createElement('option'); o.value = String(k); o.textContent = p.title; pick.appendChild(o); });
    pick.value = String(part); pick.hidden = false;
    pick.addEventListener('change', () => { try { history.replaceState(null, '', '#part=' + pick.value); } catch (err) { /* srcdoc */ } start(+pick.value); });
  }
  $('loading').remove();
  window.addEventListener('resize', resize, {signal});
  resize();
}
})();
