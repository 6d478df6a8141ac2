// klfit playground: the page. It edits a spec (the spec file's JSON form),
// runs it on the server through POST /api/fit/stream, and plays the
// streamed states back: the target and the model with its fading trail,
// the loss, the parameters, an epoch counter and rate. Pause, step and
// resume act on the view (the fit runs on the server at full speed and
// never waits for the page); stop also cancels the fit on the server if it
// is still running. Menus come from the server's registries.
'use strict';

(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const el = (tag, props = {}, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === 'dataset') Object.assign(e.dataset, v);
      else if (k in e) e[k] = v;
      else e.setAttribute(k, v);
    }
    e.append(...kids);
    return e;
  };
  const clone = (v) => JSON.parse(JSON.stringify(v));

  const api = { families: [], divergences: [], optimizers: [], presets: [], limits: {} };
  let spec = null; // the spec being edited
  let compare = ''; // a second divergence, run side by side
  let uploadFile = null; // the samples file sent with the spec
  let run = null; // the run being shown (or the preview: run.preview)
  let editorBad = ''; // why the spec editor's text is not a spec, or ''

  // ---------------------------------------------------------------- boot

  async function boot() {
    try {
      const names = ['families', 'divergences', 'optimizers', 'presets', 'limits'];
      const got = await Promise.all(names.map((n) => fetch('/api/' + n).then((r) => r.json())));
      names.forEach((n, i) => { api[n] = got[i]; });
    } catch (e) {
      showError({ error: 'the server did not answer: ' + e.message });
      return;
    }
    fillMenus();
    wire();
    const linkError = loadFromURL();
    if (linkError !== true) {
      loadPreset(api.presets[0]);
      if (linkError) showSpecStatus(linkError + '; the first preset is shown instead');
    }
    document.body.dataset.ready = 'yes'; // for tests: the page answers clicks
    requestAnimationFrame(loop);
  }

  function fillMenus() {
    const presets = $('#presets');
    for (const p of api.presets) {
      const b = el('button', { type: 'button', textContent: p.title, title: p.description, dataset: { preset: p.name } });
      b.addEventListener('click', () => loadPreset(p));
      presets.append(b);
    }
    for (const sel of [$('#target-family-name'), $('#model-family')]) {
      for (const f of api.families) {
        sel.append(el('option', { value: f.name, textContent: f.name, title: f.description || f.note || '' }));
      }
    }
    $('#divergence').append(el('option', { value: '', textContent: '(default: kl)' }));
    for (const d of api.divergences) {
      $('#divergence').append(el('option', { value: d.name, textContent: d.name + '  ' + d.symbol, title: d.direction }));
      $('#compare').append(el('option', { value: d.name, textContent: d.name + '  ' + d.symbol, title: d.direction }));
    }
    $('#optimizer').append(el('option', { value: '', textContent: '(default: gd)' }));
    for (const o of api.optimizers) {
      $('#optimizer').append(el('option', { value: o.name, textContent: o.name, title: o.description }));
    }
    const l = api.limits;
    if (l.max_epochs) {
      $('#epochs').title = `this server allows up to ${l.max_epochs} epochs, ${l.max_grid_points} grid points, ${l.fit_timeout_seconds} s a fit`;
    }
  }

  // ------------------------------------------------------------ the form

  const family = (name) => api.families.find((f) => f.name === name);
  const optimizer = (name) => api.optimizers.find((o) => o.name === (name || 'gd'));
  const divName = (d) => (typeof d === 'string' ? d : (d && d.name) || '');

  function targetMode(t) {
    if (typeof t === 'string') return 'oneline';
    if (t && typeof t === 'object') {
      if ('samples' in t) return 'samples';
      if (typeof t.expression === 'string' && Object.keys(t).length === 1) return 'expression';
      if ('family' in t && Object.keys(t).every((k) => k === 'family' || k === 'params')) return 'family';
    }
    return 'spec';
  }

  function showMode(mode) {
    for (const m of ['family', 'oneline', 'expression', 'samples', 'spec']) {
      $('#target-' + m).classList.toggle('on', m === mode);
    }
  }

  // parseValue reads a form field: a number, a JSON list, or the text
  // itself (the server then says what is wrong with it, naming the key).
  function parseValue(s) {
    s = s.trim();
    if (s === '') return undefined;
    if (s[0] === '[' || s[0] === '{') {
      try { return JSON.parse(s); } catch (e) { return s; }
    }
    const n = Number(s);
    return Number.isFinite(n) ? n : s;
  }
  const showValue = (v) => (v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

  // defaultParams fills a family's parameters: kept when present,
  // else 0 for real ones and 1 for positive ones.
  function defaultParams(fam, old) {
    const out = {};
    for (const p of fam.params) {
      out[p.name] = old && p.name in old ? old[p.name] : p.constraint === 'positive' ? 1 : 0;
    }
    return out;
  }

  // renderParams draws one input per parameter of a family; families
  // whose parameters are vectors or matrices (or built from settings) are
  // left to the spec editor.
  function renderParams(box, famName, params, key, onChange) {
    box.replaceChildren();
    const fam = family(famName);
    if (!fam || fam.note || fam.params.some((p) => /[\[\]]/.test(p.name))) {
      box.append(el('p', { className: 'hint', textContent: 'Parameters: edit them in the spec below.' }));
      return;
    }
    for (const p of fam.params) {
      const input = el('input', { type: 'text', value: showValue(params && params[p.name]), title: p.constraint, dataset: { key: key + '.' + p.name } });
      input.addEventListener('input', () => { onChange(p.name, parseValue(input.value)); });
      box.append(el('label', {}, p.name + (p.constraint === 'positive' ? ' (> 0)' : ''), input));
    }
  }

  function renderForm() {
    const t = spec.target;
    const mode = targetMode(t);
    $('#target-mode').value = mode;
    showMode(mode);
    if (mode === 'family') {
      $('#target-family-name').value = t.family;
      renderParams($('#target-params'), t.family, t.params, 'target.params', (name, v) => {
        spec.target.params = spec.target.params || {};
        setOrDelete(spec.target.params, name, v);
        specChanged();
      });
    }
    if (mode === 'oneline') $('#target-text').value = t;
    if (mode === 'expression') $('#target-formula').value = t.expression;
    if (mode === 'samples') {
      $('#samples-column').value = t.column || '';
      $('#samples-estimator').value = t.estimator || '';
    }
    $('#target-weights').value = spec.target_weights || '';

    const g = spec.grid || {};
    const twoD = 'x' in g || 'y' in g;
    $('#grid-1d').hidden = twoD;
    $('#grid-2d').hidden = !twoD;
    if (!twoD) {
      $('#grid-start').value = showValue(g.start);
      $('#grid-stop').value = showValue(g.stop);
      $('#grid-step').value = showValue(g.step);
    }

    const m = spec.model || {};
    $('#model-family').value = m.family || '';
    renderParams($('#model-params'), m.family, m.init, 'model.init', (name, v) => {
      spec.model.init = spec.model.init || {};
      setOrDelete(spec.model.init, name, v);
      specChanged();
    });
    $('#model-param').value = m.parameterization || '';
    $('#divergence').value = divName(spec.divergence);
    $('#compare').value = compare;
    const o = spec.optimizer || {};
    $('#optimizer').value = o.name || '';
    renderSettings();
    $('#epochs').value = showValue(spec.epochs);
  }

  function renderSettings() {
    const box = $('#optimizer-settings');
    box.replaceChildren();
    const info = optimizer(spec.optimizer && spec.optimizer.name);
    if (!info) return;
    for (const st of info.settings) {
      const cur = spec.optimizer && spec.optimizer[st.name];
      const input = el('input', { type: 'text', value: showValue(cur), placeholder: String(st.default), title: st.description,
        dataset: { key: 'optimizer.' + st.name } });
      input.addEventListener('input', () => {
        spec.optimizer = spec.optimizer || { name: info.name };
        setOrDelete(spec.optimizer, st.name, parseValue(input.value));
        specChanged();
      });
      box.append(el('label', {}, st.name.replace(/_/g, ' '), input));
    }
  }

  function setOrDelete(obj, key, v) {
    if (v === undefined) delete obj[key];
    else obj[key] = v;
  }

  function wire() {
    $('#target-mode').addEventListener('change', (e) => {
      const mode = e.target.value;
      const t = spec.target;
      if (mode === 'family') {
        const name = (t && t.family) || 'normal';
        spec.target = { family: name, params: family(name) ? defaultParams(family(name), t && t.params) : {} };
      } else if (mode === 'oneline') {
        spec.target = typeof t === 'string' ? t : 'normal(mean=0, variance=1)';
      } else if (mode === 'expression') {
        spec.target = { expression: (t && t.expression) || 'exp(-x^2/2)' };
      } else if (mode === 'samples') {
        spec.target = { samples: uploadFile ? uploadFile.name : 'samples.csv' };
      }
      renderForm();
      specChanged();
    });
    $('#target-family-name').addEventListener('change', (e) => {
      const fam = family(e.target.value);
      spec.target = { family: e.target.value, params: fam && !fam.note ? defaultParams(fam, spec.target.params) : {} };
      renderForm();
      specChanged();
    });
    $('#target-text').addEventListener('input', (e) => { spec.target = e.target.value; specChanged(); });
    $('#target-formula').addEventListener('input', (e) => { spec.target = { expression: e.target.value }; specChanged(); });
    $('#samples-file').addEventListener('change', (e) => {
      uploadFile = e.target.files[0] || null;
      if (uploadFile) spec.target = Object.assign({}, spec.target, { samples: uploadFile.name });
      specChanged();
    });
    $('#samples-column').addEventListener('input', (e) => { setOrDelete(spec.target, 'column', e.target.value || undefined); specChanged(); });
    $('#samples-estimator').addEventListener('change', (e) => { setOrDelete(spec.target, 'estimator', e.target.value || undefined); specChanged(); });
    $('#target-weights').addEventListener('change', (e) => { setOrDelete(spec, 'target_weights', e.target.value || undefined); specChanged(); });
    for (const k of ['start', 'stop', 'step']) {
      $('#grid-' + k).addEventListener('input', (e) => {
        spec.grid = spec.grid || {};
        setOrDelete(spec.grid, k, parseValue(e.target.value));
        specChanged();
      });
    }
    $('#model-family').addEventListener('change', (e) => {
      const fam = family(e.target.value);
      spec.model = Object.assign({}, spec.model, { family: e.target.value });
      if (fam && !fam.note) spec.model.init = defaultParams(fam, spec.model.init);
      renderForm();
      specChanged();
    });
    $('#model-param').addEventListener('change', (e) => { setOrDelete(spec.model, 'parameterization', e.target.value || undefined); specChanged(); });
    $('#divergence').addEventListener('change', (e) => { setOrDelete(spec, 'divergence', e.target.value || undefined); specChanged(); });
    $('#compare').addEventListener('change', (e) => { compare = e.target.value; specChanged(); });
    $('#optimizer').addEventListener('change', (e) => {
      const info = optimizer(e.target.value);
      const old = spec.optimizer || {};
      const next = e.target.value ? { name: e.target.value } : undefined;
      if (next && info) {
        for (const st of info.settings) if (st.name in old) next[st.name] = old[st.name];
      }
      setOrDelete(spec, 'optimizer', next);
      renderSettings();
      specChanged();
    });
    $('#epochs').addEventListener('input', (e) => { setOrDelete(spec, 'epochs', parseValue(e.target.value)); specChanged(); });

    $('#spec').addEventListener('input', (e) => {
      try {
        const parsed = JSON.parse(e.target.value);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('a spec is a JSON object');
        spec = parsed;
        editorBad = '';
        $('#spec-status').textContent = '';
        e.target.classList.remove('bad');
        renderForm();
        updateURL();
        schedulePreview();
      } catch (err) {
        editorBad = err.message;
        showSpecStatus('The spec is not valid JSON: ' + err.message + '. Run waits until it is.');
      }
    });
    $('#download-spec').addEventListener('click', () => {
      saveBlob(new Blob([JSON.stringify(spec, null, 2) + '\n'], { type: 'application/json' }), 'spec.json');
    });
    $('#copy-link').addEventListener('click', async () => {
      updateURL();
      $('#link').select();
      try { await navigator.clipboard.writeText($('#link').value); } catch (e) { /* the link stays selected */ }
    });
    window.addEventListener('hashchange', () => {
      if (location.href === lastURL) return;
      const why = loadFromURL();
      if (typeof why === 'string') showSpecStatus(why);
    });

    $('#run').addEventListener('click', startRun);
    $('#pause').addEventListener('click', () => {
      if (!run) return;
      run.paused = !run.paused;
      updateButtons();
    });
    $('#step').addEventListener('click', step);
    $('#stop').addEventListener('click', stopRun);
  }

  // specChanged keeps the editor and the URL in step with the form.
  function specChanged() {
    $('#spec').value = JSON.stringify(spec, null, 2);
    $('#spec').classList.remove('bad');
    $('#spec-status').textContent = '';
    editorBad = '';
    document.querySelectorAll('#presets button').forEach((b) => b.classList.remove('current'));
    $('#preset-description').textContent = '';
    updateURL();
    schedulePreview();
  }

  // showSpecStatus says, under the spec editor, what is wrong with it.
  function showSpecStatus(msg, fromError) {
    $('#spec-status').textContent = msg;
    $('#spec-status').dataset.fromError = fromError ? 'yes' : '';
    if (!msg) return;
    $('#spec').classList.add('bad');
    $('#spec-box').open = true;
  }

  function loadPreset(p) {
    if (run) abortRun();
    run = null;
    $('#lanes').replaceChildren();
    spec = clone(p.spec);
    compare = p.compare || '';
    uploadFile = null;
    renderForm();
    specChanged();
    const b = $(`#presets button[data-preset="${CSS.escape(p.name)}"]`);
    if (b) b.classList.add('current');
    $('#preset-description').textContent = p.description;
  }

  // ------------------------------------------------------------- the URL

  let lastURL = '';

  function updateURL() {
    let h = '#spec=' + encodeURIComponent(JSON.stringify(spec));
    if (compare) h += '&compare=' + encodeURIComponent(compare);
    history.replaceState(null, '', h);
    lastURL = location.href;
    $('#link').value = location.href;
  }

  // loadFromURL opens the fit a link describes: #spec=JSON[&compare=NAME]
  // or #preset=NAME. It returns true when it did, false when the link
  // describes no fit, or what is wrong with the link.
  function loadFromURL() {
    const q = new URLSearchParams(location.hash.slice(1));
    if (q.has('preset')) {
      const p = api.presets.find((x) => x.name === q.get('preset'));
      if (p) { loadPreset(p); return true; }
      return `The link names no preset "${q.get('preset')}"`;
    }
    if (!q.has('spec')) return false;
    let linked;
    try {
      linked = JSON.parse(q.get('spec'));
    } catch (e) {
      return 'The link\'s spec is not valid JSON: ' + e.message;
    }
    if (!linked || typeof linked !== 'object' || Array.isArray(linked)) {
      return `The link's spec is ${JSON.stringify(linked)}, not a JSON object like {"grid": ..., "target": ..., "model": ...}`;
    }
    if (run) abortRun();
    run = null;
    $('#lanes').replaceChildren();
    spec = linked;
    compare = q.get('compare') || '';
    uploadFile = null;
    renderForm();
    specChanged();
    return true;
  }

  // ------------------------------------------------------------ the runs

  // requestBody is the spec as JSON, or a multipart form carrying the
  // samples file too when the target reads the uploaded one.
  function requestBody(s) {
    const t = s.target;
    if (uploadFile && t && typeof t === 'object' && t.samples === uploadFile.name) {
      const fd = new FormData();
      fd.append('spec', new Blob([JSON.stringify(s)], { type: 'application/json' }));
      fd.append('data', uploadFile, uploadFile.name);
      return { body: fd, headers: {} };
    }
    return { body: JSON.stringify(s), headers: { 'Content-Type': 'application/json' } };
  }

  async function errorOf(res) {
    const text = await res.text();
    try { return JSON.parse(text); } catch (e) { return { error: `${res.status} ${res.statusText}: ${text}` }; }
  }

  let previewTimer = 0;

  // schedulePreview draws, shortly after the spec last changed, the target
  // and the initial model of the spec, unless a fit is being shown.
  function schedulePreview() {
    clearTimeout(previewTimer);
    if (run && !run.preview && !run.lanes.every((l) => l.done)) return;
    previewTimer = setTimeout(() => startRun(true), 250);
  }

  // startRun runs the spec, side by side with the compared divergence if
  // any. A preview stops at the first state: the target and the initial
  // model, drawn before Run.
  function startRun(preview) {
    preview = preview === true;
    clearTimeout(previewTimer);
    if (!preview && editorBad) {
      showSpecStatus('The spec is not valid JSON: ' + editorBad + '. Run waits until it is.');
      showError({ error: 'The spec editor holds text that is not valid JSON: fix it (see under the spec), or pick a preset.' });
      return;
    }
    if (run) abortRun();
    if (!preview) clearErrors();
    const specs = [clone(spec)];
    if (compare) specs.push(Object.assign(clone(spec), { divergence: compare }));
    const lanes = $('#lanes');
    lanes.replaceChildren();
    lanes.classList.toggle('two', specs.length > 1);
    run = { lanes: [], clock: 0, paused: false, stopped: false, lastTs: null, preview };
    specs.forEach((s, i) => {
      const node = $('#lane-template').content.firstElementChild.cloneNode(true);
      node.id = 'lane-' + i;
      lanes.append(node);
      const lane = { index: i, spec: s, node, start: null, frames: [], trail: [], shown: -1, ymax: 0,
        summary: null, summaryText: '', notices: [], error: null, done: false, finished: false,
        controller: new AbortController() };
      lane.node.querySelector('.lane-title').textContent = divName(s.divergence) || 'kl';
      run.lanes.push(lane);
      stream(lane);
    });
    updateButtons();
  }

  async function stream(lane) {
    const { body, headers } = requestBody(lane.spec);
    try {
      const res = await fetch('/api/fit/stream', { method: 'POST', body, headers, signal: lane.controller.signal });
      if (!res.ok) {
        lane.error = await errorOf(res);
        lane.early = true; // the fit did not start
      } else {
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            onEvent(lane, buf.slice(0, i));
            buf = buf.slice(i + 2);
          }
        }
        if (!lane.summary && !lane.error && !run.stopped && !lane.previewed) {
          lane.error = { error: 'the stream ended before the fit did (the server stopped?)' };
        }
      }
    } catch (e) {
      if (e.name !== 'AbortError') lane.error = { error: 'the connection failed: ' + e.message };
    }
    lane.done = true;
    if (lane.error) showLaneError(lane);
    else if (run && run.preview && run.lanes.includes(lane) && run.lanes.every((l) => l.done && !l.error)) clearErrors();
    updateButtons();
  }

  function onEvent(lane, block) {
    let name = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) name = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    const text = data.join('\n');
    switch (name) {
      case 'start':
        lane.start = JSON.parse(text);
        lane.node.querySelector('.lane-title').textContent = lane.start.symbol + '  ·  ' + lane.start.direction;
        setupCharts(lane);
        break;
      case 'state':
        if (lane.previewed) break;
        lane.frames.push(JSON.parse(text));
        if (run && run.preview && run.lanes.includes(lane)) {
          lane.previewed = true; // the initial model: enough for a preview
          lane.controller.abort();
        }
        break;
      case 'notice':
        lane.notices.push(JSON.parse(text).message);
        lane.node.querySelector('.notices').append(el('p', { textContent: JSON.parse(text).message }));
        break;
      case 'summary':
        lane.summaryText = text + '\n';
        lane.summary = JSON.parse(text);
        break;
      case 'error':
        lane.error = JSON.parse(text);
        break;
    }
  }

  function abortRun() {
    for (const lane of run.lanes) if (!lane.done) lane.controller.abort();
  }

  function stopRun() {
    if (!run || run.stopped) return;
    run.stopped = true;
    for (const lane of run.lanes) {
      const shown = lane.frames[lane.shown];
      const at = shown ? shown.epoch : 0;
      if (!lane.done) {
        lane.notices.push(`stopped at epoch ${at}: the fit was cancelled on the server`);
      } else if (lane.summary && !lane.finished) {
        lane.notices.push(`the view was stopped at epoch ${at}; the fit itself had ended: its summary follows`);
        showSummary(lane);
      }
      const box = lane.node.querySelector('.notices');
      box.replaceChildren(...lane.notices.map((n) => el('p', { textContent: n })));
    }
    abortRun();
    updateButtons();
  }

  // step shows the next streamed state (the next epoch, when every epoch
  // is streamed) and pauses.
  function step() {
    if (!run) return;
    run.paused = true;
    let next = Infinity;
    for (const lane of run.lanes) {
      const f = lane.frames[lane.shown + 1];
      if (f) next = Math.min(next, f.epoch);
    }
    if (next !== Infinity) run.clock = next;
    updateButtons();
  }

  const speed = () => Number($('#speed').value);

  function loop(ts) {
    if (run) {
      const dt = run.lastTs === null ? 0 : Math.min((ts - run.lastTs) / 1000, 0.25);
      run.lastTs = ts;
      if (!run.paused && !run.stopped && !run.preview) {
        run.clock = speed() > 0 ? run.clock + speed() * dt : Infinity;
      }
      for (const lane of run.lanes) advance(lane);
      updateStatus();
    }
    requestAnimationFrame(loop);
  }

  // advance shows, on one lane, the last state at or before the clock.
  function advance(lane) {
    if (!lane.start) return;
    let i = lane.shown;
    if (!run.stopped) {
      while (i + 1 < lane.frames.length && lane.frames[i + 1].epoch <= run.clock) i++;
    }
    if (i !== lane.shown) {
      for (let k = lane.shown + 1; k <= i; k++) {
        const f = lane.frames[k];
        if (f.epoch % lane.trailEvery === 0) lane.trail.push(f);
        for (const v of f.q) if (v > lane.ymax) lane.ymax = v;
      }
      lane.shown = i;
      draw(lane);
    }
    if (!run.stopped && lane.done && lane.summary && !lane.finished && lane.shown === lane.frames.length - 1) {
      showSummary(lane);
      updateButtons();
    }
  }

  function updateButtons() {
    const active = run && !run.preview && !run.stopped && run.lanes.some((l) => !l.finished && !l.error);
    $('#pause').disabled = !active;
    $('#step').disabled = !active;
    $('#stop').disabled = !active;
    $('#pause').textContent = run && run.paused ? 'Resume' : 'Pause';
  }

  function updateStatus() {
    let epoch = -1;
    let epochs = 0;
    let rate = '';
    for (const lane of run.lanes) {
      const f = lane.frames[lane.shown];
      if (!lane.start || !f) continue;
      epoch = Math.max(epoch, f.epoch);
      epochs = Math.max(epochs, lane.start.epochs);
      const last = lane.frames[lane.frames.length - 1];
      if (!rate && last.t > 0 && last.epoch > 0) rate = `fit: ${fmtRate(last.epoch / last.t)} epochs/s`;
    }
    $('#epoch').textContent = epoch < 0 ? 'epoch –' : `epoch ${epoch} / ${epochs}`;
    if (run.preview) $('#rate').textContent = '';
    const view = speed() > 0 ? `view: ${speed()} epochs/s` : 'view: as fast as it runs';
    if (!run.preview) $('#rate').textContent = rate ? rate + '  ·  ' + view : view;
    // The state says what the summaries say: max_epochs, converged,
    // diverged, interrupted...
    let state = 'running';
    // A preview is ready once its first state is drawn, not when it is
    // asked for: on a busy server it can take a moment.
    if (run.preview) {
      const drawn = run.lanes.every((l) => l.error || (l.start && l.frames[l.shown]));
      state = run.lanes.some((l) => l.error) ? 'the spec has an error' : drawn ? 'ready: press Run' : 'loading the preview';
    }
    else if (run.stopped) state = 'stopped';
    else if (run.lanes.every((l) => l.finished || l.error)) {
      if (run.lanes.some((l) => l.error)) state = run.lanes.every((l) => !l.error || l.early) ? 'not started: see the error under Run' : 'failed';
      else state = [...new Set(run.lanes.map((l) => l.summary.status))].join(' · ');
    } else if (run.paused) state = 'paused';
    $('#state').textContent = state;
    $('#state').dataset.state = state;
  }

  function fmt6(v) {
    if (!isFinite(v)) return String(v);
    const r = Number(v.toPrecision(6));
    if (r === 0) return '0';
    const a = Math.abs(r);
    if (a < 1e-4 || a >= 1e6) return r.toExponential().replace('e+', 'e');
    return String(r);
  }

  const fmtRate = (r) => (r >= 1e4 ? r.toExponential(2).replace('e+', 'e') : r.toFixed(0));

  // --------------------------------------------------------- the results

  function showSummary(lane) {
    lane.finished = true;
    const s = lane.summary;
    const box = lane.node.querySelector('.summary');
    const rows = [['status', s.status, { dataset: { field: 'status' } }],
      ['epochs', s.epochs, { dataset: { field: 'epochs' } }],
      [`loss (${lane.start ? lane.start.symbol : s.divergence})`, s.loss, { dataset: { field: 'loss' } }]];
    // A loss that is not the divergence itself says what it is.
    if (s.loss_meaning) rows.push(['loss is', s.loss_meaning, {}]);
    for (const [name, v] of Object.entries(s.params || {})) rows.push([name, v, { dataset: { param: name } }]);
    rows.push(['wall time', fmt6(s.wall_time_seconds) + ' s', {}]);
    if (s.failure) rows.push(['failure', s.failure.message, { dataset: { field: 'failure' } }]);
    // Why a fit a stopping rule ended has not converged (no_overlap).
    if (s.reason) rows.push(['not converged', s.reason, { dataset: { field: 'reason' } }]);
    box.querySelector('tbody').replaceChildren(...rows.map(([k, v, props]) =>
      el('tr', {}, el('td', { textContent: k }), el('td', Object.assign({ textContent: fmtValue(v) }, props)))));
    box.querySelector('.summary-json').textContent = lane.summaryText;
    const dl = box.querySelector('.downloads');
    const names = ['fit.zip', 'history.csv', 'summary.json', 'spec.yaml'];
    names.push('fit.png', 'endpoints.png');
    // The parameter traces, as the figures are named (see plot.Figures):
    // mean and variance for the notebook's model, else one figure of
    // small multiples, none past 40 parameters.
    const params = lane.start.names;
    if (params.join(',') === 'mean,variance') names.push('mean.png', 'variance.png');
    else if (params.length <= 40) names.push('params.png');
    names.push('loss.png');
    dl.replaceChildren(...names.map((n) => {
      const b = el('button', { type: 'button', textContent: n });
      b.addEventListener('click', () => download(lane, n, b));
      return b;
    }));
    box.hidden = false;
  }

  // fmtValue shows a summary value: numbers to 6 significant digits
  // (summary.json and the downloads keep every digit), in exponent form
  // when very small or large, never as -0.
  function fmtValue(v) {
    if (v === null) return '–';
    if (typeof v !== 'number') return String(v);
    return fmt6(v);
  }

  // download fetches one of the fit's files: the server runs the same
  // spec again (a fit is deterministic) and writes the file with the
  // command line's code.
  async function download(lane, name, button) {
    button.disabled = true;
    try {
      const { body, headers } = requestBody(lane.spec);
      const res = await fetch('/api/fit/files/' + encodeURIComponent(name), { method: 'POST', body, headers });
      if (!res.ok) {
        lane.error = await errorOf(res);
        showLaneError(lane);
        return;
      }
      saveBlob(await res.blob(), name);
    } finally {
      button.disabled = false;
    }
  }

  function saveBlob(blob, name) {
    const a = el('a', { href: URL.createObjectURL(blob), download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 30000);
  }

  // showError shows an error in the page's words: next to the field of
  // its spec key (or of the nearest parent key shown), and under Run.
  function showError(err) {
    let msg = plainWords(err);
    const field = fieldOf(err.key);
    if (field) {
      field.classList.add('bad');
      const at = field.closest('label') || field;
      const note = el('p', { className: 'field-error', role: 'alert', textContent: msg });
      at.after(note);
      msg = placeOf(field) + ': ' + msg;
    } else if (err.key) {
      msg = `In the spec, ${err.key}: ${msg}`;
      showSpecStatus(msg, true);
    } else if (/^\s*spec( line \d+)?: /.test(err.error)) {
      showSpecStatus(msg, true);
    }
    const box = $('#error');
    box.textContent = msg.charAt(0).toUpperCase() + msg.slice(1);
    box.hidden = false;
  }

  // plainWords rewrites a server error in the page's terms: without the
  // spec's line and key (the field says which), the upload named as the
  // file field.
  function plainWords(err) {
    let m = err.error.replace(/^spec line \d+: /, '').replace(/^spec: /, '');
    if (err.key && m.startsWith(err.key + ': ')) m = m.slice(err.key.length + 2);
    return m.replace(/ \(multipart field "data"\)/g, ' (Target p: samples, file)')
      .replace(/multipart field "data"/g, 'the file field').replace(/ \(write target: \{samples: "[^"]*"\}\)/, '');
  }

  // fieldOf returns the visible field of a spec key, or of its nearest
  // parent key.
  function fieldOf(key) {
    for (let k = key; k; k = k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '') {
      const field = document.querySelector(`#form [data-key="${CSS.escape(k)}"]`);
      if (field && field.offsetParent !== null) return field;
    }
    return null;
  }

  // placeOf names a field as the page shows it: "Model q, variance".
  function placeOf(field) {
    const fs = field.closest('fieldset');
    const legend = fs ? fs.querySelector('legend').textContent : '';
    const label = field.closest('label');
    const name = label ? label.firstChild.textContent.replace(/\(.*\)/, '').trim() : '';
    return [legend, name].filter(Boolean).join(', ');
  }

  // showLaneError shows a fit's error: one that stopped it from starting
  // next to the controls, one met while it ran in its lane.
  function showLaneError(lane) {
    if (lane.early || !lane.start) {
      if (lane.index === 0) {
        clearErrors();
        showError(lane.error);
      }
      lane.node.hidden = true;
    } else {
      const box = lane.node.querySelector('.lane-error');
      box.textContent = lane.error.error;
      box.hidden = false;
    }
    updateStatus();
  }

  function clearErrors() {
    $('#error').hidden = true;
    document.querySelectorAll('.bad').forEach((e) => e.classList.remove('bad'));
    document.querySelectorAll('.field-error').forEach((e) => e.remove());
    if ($('#spec-status').dataset.fromError) showSpecStatus('');
    if (!editorBad) $('#spec').classList.remove('bad');
  }

  // ------------------------------------------------------------- drawing

  const BLUE = '#4c72b0';
  const RED = '255, 0, 0';

  function setupCharts(lane) {
    const s = lane.start;
    // The notebook's trail: every 5 epochs, at most about 200 curves (2-D: 40).
    const every = Math.max(5, Math.ceil(s.epochs / (s.dim === 1 ? 200 : 40)));
    lane.trailEvery = Math.ceil(every / s.stride) * s.stride;
    lane.ymax = s.dim === 1 ? Math.max(...s.target.map((v) => v || 0)) : 0;
    lane.fitChart = new Chart(lane.node.querySelector('.fit-canvas'), 340 / 640);
    lane.lossChart = new Chart(lane.node.querySelector('.loss-canvas'), 180 / 320);
    const box = lane.node.querySelector('.param-canvases');
    lane.paramCharts = s.names.map(() => {
      const c = el('canvas', { width: 320, height: 180 });
      box.append(c);
      return new Chart(c, 180 / 320);
    });
  }

  function draw(lane) {
    const s = lane.start;
    const frames = lane.frames.slice(0, lane.shown + 1);
    const cur = frames[frames.length - 1];
    if (s.dim === 1) drawFit1D(lane, cur);
    else drawFit2D(lane, cur);
    const epochs = frames.map((f) => f.epoch);
    traceChart(lane.lossChart, 'loss: ' + s.symbol, epochs, frames.map((f) => f.loss), s.epochs);
    s.names.forEach((n, j) => traceChart(lane.paramCharts[j], n, epochs, frames.map((f) => f.params[j]), s.epochs));
  }

  const fade = (epoch, epochs) => (epochs > 0 ? 0.1 + 0.9 * epoch / epochs : 1);

  function drawFit1D(lane, cur) {
    const s = lane.start;
    const c = lane.fitChart;
    c.frame(s.x[0], s.x[s.x.length - 1], 0, lane.ymax * 1.05 || 1, {
      title: `${s.symbol} = ${fmt6(cur.loss)}`, xlabel: 'x', ylabel: 'density' });
    // The target under the model: a converged model, dashed, shows on it.
    c.line(s.x, s.target, BLUE, 3);
    for (const f of lane.trail) {
      if (f === cur) continue;
      c.line(s.qx, f.q, `rgba(${RED}, ${fade(f.epoch, s.epochs)})`, 1);
    }
    c.line(s.qx, cur.q, `rgba(${RED}, 1)`, 2, [7, 4]);
    c.legend([[BLUE, 'target p'], [`rgb(${RED})`, `model q, epoch ${cur.epoch}`]]);
  }

  function drawFit2D(lane, cur) {
    const s = lane.start;
    const c = lane.fitChart;
    const nx = s.x.length;
    const ny = s.y.length;
    c.frame(s.x[0], s.x[nx - 1], s.y[0], s.y[ny - 1], {
      title: `${s.symbol} = ${fmt6(cur.loss)}`, xlabel: 'x', ylabel: 'y', noGrid: true, equal: true });
    c.heatmap(s.x, s.y, s.target);
    for (const f of lane.trail) {
      if (f === cur) continue;
      c.contour(s.x, s.y, f.q, 0.5 * Math.max(...f.q), `rgba(${RED}, ${0.6 * fade(f.epoch, s.epochs)})`, 1);
    }
    const top = Math.max(...cur.q);
    for (const lv of [0.2, 0.5, 0.8]) c.contour(s.x, s.y, cur.q, lv * top, `rgba(${RED}, 1)`, 1.5);
    c.legend([[BLUE, 'target p (shaded)'], [`rgb(${RED})`, `model q, epoch ${cur.epoch}`]]);
  }

  function traceChart(c, title, xs, ys, epochs) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const y of ys) {
      if (y === null) continue;
      lo = Math.min(lo, y);
      hi = Math.max(hi, y);
    }
    if (!(hi > lo)) {
      const pad = Math.abs(hi) * 0.05 || 1;
      lo -= pad;
      hi += pad;
    }
    const pad = (hi - lo) * 0.05;
    c.frame(0, Math.max(epochs, 1), lo - pad, hi + pad, { title, xlabel: 'epoch', small: true });
    c.line(xs, ys, BLUE, 1.5);
  }

  // niceTicks returns round values spanning [lo, hi].
  function niceTicks(lo, hi, n) {
    const span = hi - lo;
    if (!(span > 0) || !isFinite(span)) return [lo];
    const raw = span / n;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const f = raw / mag;
    const stepSize = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
    const out = [];
    for (let v = Math.ceil(lo / stepSize) * stepSize; v <= hi + stepSize * 1e-9; v += stepSize) {
      out.push(Math.abs(v) < stepSize * 1e-9 ? 0 : v);
    }
    return out;
  }

  function fmtTick(v) {
    const r = Number(v.toPrecision(6));
    if (r === 0) return '0';
    const a = Math.abs(r);
    if (a >= 1e5 || a < 1e-3) return r.toExponential().replace('e+', 'e');
    return String(r);
  }

  // Chart draws axes in seaborn's look and curves in data coordinates on
  // a canvas, at the screen's resolution.
  class Chart {
    constructor(canvas, aspect) {
      this.canvas = canvas;
      this.aspect = aspect;
      this.ctx = canvas.getContext('2d');
    }

    size() {
      const dpr = window.devicePixelRatio || 1;
      const w = this.canvas.clientWidth || this.canvas.width;
      // Narrow charts (phones) are drawn taller, to stay readable.
      const h = Math.round(w * (w < 480 ? Math.max(this.aspect, 0.7) : this.aspect));
      if (this.canvas.width !== Math.round(w * dpr) || this.canvas.height !== Math.round(h * dpr)) {
        this.canvas.width = Math.round(w * dpr);
        this.canvas.height = Math.round(h * dpr);
      }
      this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      this.w = w;
      this.h = h;
    }

    frame(x0, x1, y0, y1, o) {
      this.size();
      const ctx = this.ctx;
      const font = o.small ? 10 : 12;
      const left = o.small ? 46 : 58;
      const bottom = o.small ? 30 : 38;
      const top = o.small ? 18 : 24;
      this.box = { l: left, r: this.w - (o.small ? 18 : 12), t: top, b: this.h - bottom };
      if (o.equal) { // one unit is as long on both axes: circles stay round
        const b = this.box;
        const scale = Math.min((b.r - b.l) / (x1 - x0), (b.b - b.t) / (y1 - y0));
        const w = scale * (x1 - x0);
        b.l += ((b.r - b.l) - w) / 2;
        b.r = b.l + w;
        b.b = b.t + scale * (y1 - y0);
      }
      Object.assign(this, { x0, x1, y0, y1 });
      ctx.clearRect(0, 0, this.w, this.h);
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, this.w, this.h);
      const b = this.box;
      ctx.fillStyle = '#eaeaf2';
      ctx.fillRect(b.l, b.t, b.r - b.l, b.b - b.t);
      ctx.font = `${font}px system-ui, sans-serif`;
      ctx.fillStyle = '#333';
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 1;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      // As many ticks as fit without their labels touching.
      let xt = [];
      for (let n = o.small ? 4 : 8; n >= 1; n--) {
        xt = niceTicks(x0, x1, n);
        const wide = Math.max(...xt.map((t) => ctx.measureText(fmtTick(t)).width));
        if (xt.length < 2 || Math.abs(this.X(xt[1]) - this.X(xt[0])) >= wide + 8) break;
      }
      let yt = [];
      for (let n = o.small ? 4 : 6; n >= 1; n--) {
        yt = niceTicks(y0, y1, n);
        if (yt.length < 2 || Math.abs(this.Y(yt[1]) - this.Y(yt[0])) >= font + 4) break;
      }
      for (const t of xt) {
        const px = this.X(t);
        if (!o.noGrid) this.seg(px, b.t, px, b.b);
        ctx.fillText(fmtTick(t), px, b.b + 4);
      }
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      for (const t of yt) {
        const py = this.Y(t);
        if (!o.noGrid) this.seg(b.l, py, b.r, py);
        ctx.fillText(fmtTick(t), b.l - 4, py);
      }
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      ctx.fillText(o.title || '', (b.l + b.r) / 2, b.t - 4);
      ctx.textBaseline = 'bottom';
      ctx.fillText(o.xlabel || '', (b.l + b.r) / 2, this.h - 2);
      if (o.ylabel) {
        ctx.save();
        ctx.translate(Math.max(12, b.l - 46), (b.t + b.b) / 2);
        ctx.rotate(-Math.PI / 2);
        ctx.textBaseline = 'middle';
        ctx.fillText(o.ylabel, 0, 0);
        ctx.restore();
      }
    }

    X(x) { return this.box.l + (x - this.x0) / (this.x1 - this.x0) * (this.box.r - this.box.l); }
    Y(y) { return this.box.b - (y - this.y0) / (this.y1 - this.y0) * (this.box.b - this.box.t); }

    seg(xa, ya, xb, yb) {
      this.ctx.beginPath();
      this.ctx.moveTo(xa, ya);
      this.ctx.lineTo(xb, yb);
      this.ctx.stroke();
    }

    clip() {
      const b = this.box;
      this.ctx.save();
      this.ctx.beginPath();
      this.ctx.rect(b.l, b.t, b.r - b.l, b.b - b.t);
      this.ctx.clip();
    }

    line(xs, ys, color, width, dash) {
      const ctx = this.ctx;
      this.clip();
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      ctx.setLineDash(dash || []);
      ctx.lineJoin = 'round';
      ctx.beginPath();
      let pen = false;
      for (let i = 0; i < xs.length; i++) {
        const y = ys[i];
        if (y === null || !isFinite(y)) { pen = false; continue; }
        const px = this.X(xs[i]);
        const py = this.Y(y);
        if (pen) ctx.lineTo(px, py);
        else ctx.moveTo(px, py);
        pen = true;
      }
      ctx.stroke();
      ctx.restore();
    }

    // heatmap shades the cells of a density on the axes xs, ys (values
    // row by row, row i at ys[i]) from white to blue.
    heatmap(xs, ys, v) {
      const nx = xs.length;
      const ny = ys.length;
      let top = 0;
      for (const a of v) if (a > top) top = a;
      const img = new ImageData(nx, ny);
      for (let i = 0; i < ny; i++) {
        for (let j = 0; j < nx; j++) {
          const f = top > 0 ? (v[i * nx + j] || 0) / top : 0;
          const k = 4 * ((ny - 1 - i) * nx + j);
          img.data[k] = 255 + f * (0x4c - 255);
          img.data[k + 1] = 255 + f * (0x72 - 255);
          img.data[k + 2] = 255 + f * (0xb0 - 255);
          img.data[k + 3] = 255;
        }
      }
      const off = document.createElement('canvas');
      off.width = nx;
      off.height = ny;
      off.getContext('2d').putImageData(img, 0, 0);
      const b = this.box;
      this.ctx.imageSmoothingEnabled = true;
      this.ctx.drawImage(off, b.l, b.t, b.r - b.l, b.b - b.t);
    }

    // contour draws the level line of v (on the axes xs, ys) by marching
    // squares.
    contour(xs, ys, v, level, color, width) {
      const nx = xs.length;
      const ctx = this.ctx;
      this.clip();
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      ctx.beginPath();
      const cross = (a, b, xa, ya, xb, yb, out) => {
        if ((a >= level) === (b >= level)) return;
        const t = (level - a) / (b - a);
        out.push([this.X(xa + t * (xb - xa)), this.Y(ya + t * (yb - ya))]);
      };
      for (let i = 0; i + 1 < ys.length; i++) {
        for (let j = 0; j + 1 < nx; j++) {
          const v00 = v[i * nx + j] || 0;
          const v01 = v[i * nx + j + 1] || 0;
          const v10 = v[(i + 1) * nx + j] || 0;
          const v11 = v[(i + 1) * nx + j + 1] || 0;
          const p = [];
          cross(v00, v01, xs[j], ys[i], xs[j + 1], ys[i], p);
          cross(v01, v11, xs[j + 1], ys[i], xs[j + 1], ys[i + 1], p);
          cross(v10, v11, xs[j], ys[i + 1], xs[j + 1], ys[i + 1], p);
          cross(v00, v10, xs[j], ys[i], xs[j], ys[i + 1], p);
          for (let k = 0; k + 1 < p.length; k += 2) {
            ctx.moveTo(p[k][0], p[k][1]);
            ctx.lineTo(p[k + 1][0], p[k + 1][1]);
          }
        }
      }
      ctx.stroke();
      ctx.restore();
    }

    legend(items) {
      const ctx = this.ctx;
      const b = this.box;
      ctx.font = '12px system-ui, sans-serif';
      ctx.textAlign = 'left';
      ctx.textBaseline = 'middle';
      items.forEach(([color, label], i) => {
        const y = b.t + 14 + i * 16;
        ctx.fillStyle = color;
        ctx.fillRect(b.l + 8, y - 2, 18, 4);
        ctx.fillStyle = '#333';
        ctx.fillText(label, b.l + 32, y);
      });
    }
  }

  boot();
})();
