// lineside line-side page: plain JS, no build step. Stays responsive at tens of inspections per
// second: events are queued and applied once per animation frame, the list is capped, thumbnails
// load only when their card is on screen, and the score strip redraws at most once per frame.
'use strict';

(() => {
  const API = '/api/v1';
  const MAX_CARDS = 60;          // cards kept in the list
  const STRIP_SPAN_MS = 120_000; // score strip time span
  const STRIP_MAX_POINTS = 6000; // 20/s over the span, with room
  const STATS_EVERY_MS = 2000;

  const $ = (id) => document.getElementById(id);
  const list = $('inspections');
  const pending = [];            // events not yet on screen
  let frameRequested = false;
  let paused = false;
  let threshold = null;
  const points = [];             // {t, score, defect} for the strip
  let stripDirty = true;

  // ---- formatting -------------------------------------------------------------------------
  const fmtScore = (v) => (v == null || !isFinite(v)) ? '–'
    : (Math.abs(v) >= 0.001 && Math.abs(v) < 10000 ? Number(v).toPrecision(3) : Number(v).toExponential(2));
  const fmtTime = (iso) => { const d = new Date(iso); return isNaN(d) ? '' : d.toLocaleTimeString(); };
  const verdictOf = (e) => e.rejected ? 'REJECTED' : e.verdict;

  // ---- model ------------------------------------------------------------------------------
  async function loadModel() {
    try {
      const r = await fetch(API + '/model', { cache: 'no-store' });
      if (!r.ok) throw new Error(r.status);
      const m = await r.json();
      const name = m.name ?? m.model?.name ?? '?';
      const version = m.version ?? m.model?.version ?? '';
      $('model-name').textContent = version ? `${name} ${version}` : name;
      $('model-name').title = 'sha256 ' + (m.sha256 ?? m.model?.sha256 ?? '?');
      threshold = typeof m.threshold === 'number' ? m.threshold : threshold;
      $('model-threshold').textContent = fmtScore(threshold);
      const score = typeof m.score === 'object' && m.score ? m.score.function : m.score;
      // Format 2: the graph scores; its method name is information only and may be absent.
      const inGraph = typeof m.score === 'object' && m.score && m.score.computedBy === 'graph';
      $('model-score').textContent = inGraph ? `${score ?? 'graph'} (format 2)` : (score ?? '?');
      // The model's reconstruction is offered beside the image when the model outputs one.
      $('view-reconstruction').hidden = !(m.outputs && m.outputs.reconstruction);
      stripDirty = true; requestFrame();
    } catch (e) {
      $('model-name').textContent = 'unavailable';
    }
  }

  // ---- stats ------------------------------------------------------------------------------
  async function loadStats() {
    try {
      const r = await fetch(API + '/stats?window=5m', { cache: 'no-store' });
      if (!r.ok) return;
      const s = await r.json();
      $('defect-rate').textContent = s.defectRate == null ? '–' : (100 * s.defectRate).toFixed(1) + ' %';
      $('kpi-rate').classList.toggle('alarm', s.defectRate != null && s.defectRate > 0.05);
      const perMin = s.throughputPerSecond * 60;
      $('throughput').textContent = perMin >= 100 ? `${s.throughputPerSecond.toFixed(1)} /s` : `${perMin.toFixed(1)} /min`;
      $('count-good').textContent = s.good;
      $('count-defect').textContent = s.defect;
      $('count-rejected').textContent = s.rejected;
      $('score-quantiles').textContent = s.score && s.score.count ? `${fmtScore(s.score.p50)} / ${fmtScore(s.score.p99)}` : '–';
    } catch (e) { /* the link indicator tells the operator */ }
  }

  // ---- live stream ------------------------------------------------------------------------
  function connect() {
    const link = $('link');
    const source = new EventSource(API + '/inspections/stream');
    source.onopen = () => { link.dataset.state = 'live'; link.textContent = 'live'; };
    source.onerror = () => { link.dataset.state = 'lost'; link.textContent = 'reconnecting…'; }; // EventSource retries by itself
    source.onmessage = (msg) => {
      let e;
      try { e = JSON.parse(msg.data); } catch (err) { return; }
      enqueue(e);
    };
  }

  const seen = new Set();        // ids already shown: history and stream may overlap at start
  function enqueue(e) {
    if (!e || !e.id || seen.has(e.id)) return;
    seen.add(e.id);
    if (seen.size > 4 * MAX_CARDS) seen.delete(seen.values().next().value);
    if (!e.rejected && typeof e.score === 'number') {
      points.push({ t: Date.parse(e.time) || Date.now(), score: e.score, defect: e.verdict === 'DEFECT' });
      if (points.length > STRIP_MAX_POINTS) points.splice(0, points.length - STRIP_MAX_POINTS);
      if (typeof e.threshold === 'number') threshold = e.threshold;
      stripDirty = true;
    }
    if (!paused) {
      pending.push(e);
      if (pending.length > MAX_CARDS) pending.splice(0, pending.length - MAX_CARDS); // older ones would be trimmed anyway
    }
    requestFrame();
  }

  function requestFrame() {
    if (!frameRequested) { frameRequested = true; requestAnimationFrame(frame); }
  }

  function frame() {
    frameRequested = false;
    if (pending.length) {
      const batch = pending.splice(0, pending.length);
      const fragment = document.createDocumentFragment();
      for (let i = batch.length - 1; i >= 0; i--) fragment.appendChild(card(batch[i])); // newest first
      list.prepend(fragment);
      while (list.childElementCount > MAX_CARDS) {
        const last = list.lastElementChild;
        thumbs.unobserve(last);
        last.remove();
      }
      $('empty').hidden = true;
    }
    if (stripDirty) { stripDirty = false; drawStrip(); }
  }

  // ---- cards ------------------------------------------------------------------------------
  // Thumbnails are requested only when their card scrolls into view.
  const thumbs = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const li = entry.target;
      thumbs.unobserve(li);
      const box = li.querySelector('.thumb');
      if (li.dataset.verdict === 'REJECTED') { box.textContent = li.dataset.reason || 'rejected'; continue; }
      if (li.dataset.kept === 'false') { box.textContent = 'image not kept'; continue; }
      const img = new Image();
      img.alt = li.dataset.verdict === 'DEFECT' ? 'heatmap' : 'part';
      img.decoding = 'async';
      // Defects show their heatmap straight away; good parts show the part.
      img.src = `${API}/inspections/${encodeURIComponent(li.dataset.id)}/${li.dataset.verdict === 'DEFECT' ? 'heatmap.png' : 'image'}`;
      img.onerror = () => { box.textContent = 'image not kept'; };
      box.textContent = '';
      box.appendChild(img);
    }
  }, { rootMargin: '200px' });

  function card(e) {
    const li = document.createElement('li');
    li.className = 'card';
    li.tabIndex = 0;
    li.dataset.id = e.id;
    li.dataset.verdict = verdictOf(e);
    if (e.reason) li.dataset.reason = e.reason;
    li.dataset.kept = String(e.imageKept !== false);
    li.setAttribute('role', 'button');
    li.setAttribute('aria-label', `${verdictOf(e)} ${e.name ?? ''}`);
    const thumb = document.createElement('div');
    thumb.className = 'thumb';
    thumb.textContent = '…';
    const meta = document.createElement('div');
    meta.className = 'meta';
    const verdict = document.createElement('span');
    verdict.className = 'verdict ' + verdictOf(e).toLowerCase();
    verdict.textContent = verdictOf(e);
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = e.name ?? e.id;
    name.title = e.name ?? '';
    const sub = document.createElement('span');
    sub.className = 'sub';
    sub.textContent = `${e.rejected ? (e.reason ?? '') : fmtScore(e.score)} · ${e.source ?? ''} · ${fmtTime(e.time)}`;
    meta.append(verdict, name, sub);
    li.append(thumb, meta);
    li._record = e;
    thumbs.observe(li);
    return li;
  }

  list.addEventListener('click', (ev) => {
    const li = ev.target.closest('.card');
    if (li) openDetail(li._record);
  });
  list.addEventListener('keydown', (ev) => {
    if ((ev.key === 'Enter' || ev.key === ' ') && ev.target.classList.contains('card')) {
      ev.preventDefault(); openDetail(ev.target._record);
    }
  });

  // ---- detail dialog ----------------------------------------------------------------------
  const dialog = $('detail');
  let current = null;

  function openDetail(e) {
    current = e;
    $('detail-title').textContent = `${verdictOf(e)} · ${e.name ?? e.id}`;
    const facts = $('detail-facts');
    facts.textContent = '';
    const rows = [
      ['Verdict', verdictOf(e)], ['Score', fmtScore(e.score)], ['Threshold', fmtScore(e.threshold)],
      ['Source', e.source], ['Time', e.time ? new Date(e.time).toLocaleString() : ''],
      ['Reason', e.rejected ? `${e.reason ?? ''} ${e.detail ?? ''}` : null],
      ['Id', e.id], ['Image sha256', e.imageSha256], ['Model sha256', e.modelSha256],
    ];
    for (const [k, v] of rows) {
      if (v == null || v === '') continue;
      const dt = document.createElement('dt'); dt.textContent = k;
      const dd = document.createElement('dd'); dd.textContent = v;
      facts.append(dt, dd);
    }
    showView(e.rejected ? 'image' : 'heatmap');
    if (!dialog.open) dialog.showModal();
  }

  function showView(view) {
    if (!current) return;
    $('view-heatmap').setAttribute('aria-pressed', String(view === 'heatmap'));
    $('view-image').setAttribute('aria-pressed', String(view === 'image'));
    $('view-reconstruction').setAttribute('aria-pressed', String(view === 'reconstruction'));
    const img = $('detail-image');
    const missing = $('detail-missing');
    missing.hidden = true;
    img.hidden = false;
    img.alt = view === 'heatmap' ? 'Residual heatmap of the inspected part'
        : view === 'reconstruction' ? "The model's reconstruction of the part" : 'The inspected image as received';
    img.onerror = async () => {
      img.hidden = true;
      missing.hidden = false;
      missing.textContent = 'Not available.';
      try { // the API says why (e.g. beyond retention)
        const r = await fetch(img.src);
        const body = await r.json();
        missing.textContent = body.detail || body.error || missing.textContent;
      } catch (err) { /* keep the generic text */ }
    };
    const file = { heatmap: 'heatmap.png', reconstruction: 'reconstruction.png' }[view] ?? 'image';
    img.src = `${API}/inspections/${encodeURIComponent(current.id)}/${file}`;
  }

  $('view-heatmap').addEventListener('click', () => showView('heatmap'));
  $('view-image').addEventListener('click', () => showView('image'));
  $('view-reconstruction').addEventListener('click', () => showView('reconstruction'));
  dialog.addEventListener('click', (ev) => { if (ev.target === dialog) dialog.close(); }); // tap outside closes

  // ---- controls ---------------------------------------------------------------------------
  $('pause').addEventListener('click', (ev) => {
    paused = !paused;
    ev.currentTarget.setAttribute('aria-pressed', String(paused));
    ev.currentTarget.textContent = paused ? 'Resume' : 'Pause';
  });
  $('only-defects').addEventListener('click', (ev) => {
    const on = !list.classList.contains('only-defects');
    list.classList.toggle('only-defects', on);
    ev.currentTarget.setAttribute('aria-pressed', String(on));
  });

  // ---- score strip ------------------------------------------------------------------------
  const canvas = $('strip');
  let stripTop = 0, stripTopAt = 0;
  function drawStrip() {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const now = Date.now();
    const from = now - STRIP_SPAN_MS;
    while (points.length && points[0].t < from - 5000) points.shift();
    // y range: up to the larger of 1.5 x threshold and the 99th percentile of what is shown,
    // re-ranked at most once a second (a sort per frame would cost at 20 parts/s)
    if (now - stripTopAt > 1000 || !(stripTop > 0)) {
      stripTopAt = now;
      stripTop = threshold ? threshold * 1.5 : 0;
      if (points.length) {
        const sorted = points.map((p) => p.score).sort((a, b) => a - b);
        stripTop = Math.max(stripTop, sorted[Math.floor(0.99 * (sorted.length - 1))] * 1.1);
      }
      if (!(stripTop > 0)) stripTop = 1;
    }
    const top = stripTop;
    const pad = 4, left = 44;
    const y = (v) => h - pad - Math.min(1, v / top) * (h - 2 * pad);
    const x = (t) => left + (t - from) / STRIP_SPAN_MS * (w - left - pad);
    ctx.fillStyle = '#97a3b3'; ctx.font = '11px system-ui, sans-serif'; ctx.textBaseline = 'middle';
    ctx.fillText(fmtScore(top), 2, y(top) + 6);
    ctx.fillText('0', 2, y(0) - 6);
    ctx.strokeStyle = '#2c333d'; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(left, y(0)); ctx.lineTo(w - pad, y(0)); ctx.stroke();
    for (const p of points) {
      if (p.t < from) continue;
      ctx.fillStyle = p.defect ? '#f85149' : '#3fb950';
      const r = p.defect ? 3 : 2;
      ctx.fillRect(x(p.t) - r / 2, y(p.score) - r / 2, r, r);
    }
    if (threshold != null) {
      ctx.strokeStyle = '#d29922'; ctx.lineWidth = 2; ctx.setLineDash([6, 4]);
      ctx.beginPath(); ctx.moveTo(left, y(threshold)); ctx.lineTo(w - pad, y(threshold)); ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = '#d29922';
      ctx.fillText(fmtScore(threshold), 2, y(threshold));
    }
  }
  // The strip scrolls with time even when nothing arrives.
  setInterval(() => { stripDirty = true; requestFrame(); }, 1000);
  window.addEventListener('resize', () => { stripDirty = true; requestFrame(); });

  // ---- start ------------------------------------------------------------------------------
  async function loadRecent() {
    try {
      const r = await fetch(API + '/inspections?limit=' + MAX_CARDS, { cache: 'no-store' });
      if (!r.ok) return;
      const body = await r.json();
      const items = Array.isArray(body) ? body : (body.items ?? []);
      for (let i = items.length - 1; i >= 0; i--) enqueue(items[i]); // oldest first, so the newest ends on top
    } catch (e) { /* history is a convenience; the live stream still works */ }
  }

  loadModel();
  setInterval(loadModel, 30_000); // a hot-swapped model shows up
  loadStats();
  setInterval(loadStats, STATS_EVERY_MS);
  loadRecent().finally(connect);
})();
