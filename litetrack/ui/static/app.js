/* litetrack web UI: one plain script, no build step.
 *
 * Served by `python -m litetrack ui` it reads the JSON API under api/; inlined
 * into a `report` file it reads the data embedded in the page instead
 * (<script type="application/json" id="litetrack-report">).
 *
 * Safety: every piece of store data reaches the DOM as a text node or an
 * attribute value set through the DOM (see h()); nothing from the store is
 * ever parsed as HTML.
 */
(function () {
  'use strict';

  // -- data source -------------------------------------------------------------------

  const REPORT = (function () {
    const el = document.getElementById('litetrack-report');
    return el ? JSON.parse(el.textContent) : null;
  })();
  let CONFIG = { read_only: true, csrf_token: null };

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  function apiUrl(path, params) {
    const url = new URL('api/' + path, document.baseURI);
    for (const [k, v] of Object.entries(params || {})) {
      if (v === undefined || v === null || v === '') continue;
      if (Array.isArray(v)) v.forEach((x) => url.searchParams.append(k, x));
      else url.searchParams.set(k, v);
    }
    return url;
  }

  async function api(path, params) {
    if (REPORT) return reportApi(path, params || {});
    const r = await fetch(apiUrl(path, params), { headers: { accept: 'application/json' }, credentials: 'same-origin' });
    const body = await r.json().catch(() => ({ error: r.status + ' ' + r.statusText }));
    if (!r.ok) throw new ApiError(r.status, body.error || r.statusText);
    return body;
  }

  async function post(path, body) {
    const r = await fetch(apiUrl(path), {
      method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': CONFIG.csrf_token || '' },
      body: JSON.stringify(body || {}),
    });
    const out = await r.json().catch(() => ({ error: r.status + ' ' + r.statusText }));
    if (!r.ok) throw new ApiError(r.status, out.error || r.statusText);
    return out;
  }

  // -- DOM helpers --------------------------------------------------------------------

  /* h('a', {href: '#/x', class: 'c', onclick: fn}, 'text', child...): strings become text nodes. */
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'value') el.value = v;
      else if (k === 'checked') el.checked = !!v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    append(el, kids);
    return el;
  }
  function append(el, kids) {
    for (const kid of kids.flat(Infinity)) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.appendChild(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
  function flash(text, bad) {
    const el = h('div', { class: 'flash' + (bad ? ' bad' : ''), role: 'status' }, text);
    document.body.appendChild(el);
    setTimeout(() => el.remove(), bad ? 8000 : 3000);
  }
  function errorBox(e) { return h('div', { class: 'error', role: 'alert' }, e.message || String(e)); }

  // -- formatting ------------------------------------------------------------------------

  function pad(n) { return String(n).padStart(2, '0'); }
  function fmtTime(ms) {
    if (ms === null || ms === undefined) return '';
    const d = new Date(ms);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }
  function fmtDur(ms) {
    if (ms === null || ms === undefined) return '';
    if (ms < 1000) return ms + ' ms';
    const s = ms / 1000;
    if (s < 60) return s.toFixed(1) + ' s';
    const m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + pad(Math.floor(s % 60)) + 's';
    return Math.floor(m / 60) + 'h ' + pad(m % 60) + 'm';
  }
  function fmtNum(v) {
    if (v === null || v === undefined) return '';
    if (typeof v !== 'number') return String(v);
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-4 || a >= 1e9)) return v.toExponential(4);
    return String(Number(v.toPrecision(6)));
  }
  function fmtSize(b) {
    if (b === null || b === undefined) return '';
    if (b === 0) return '0';
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let i = 0; let x = b;
    while (x >= 1024 && i < units.length - 1) { x /= 1024; i += 1; }
    return (i ? x.toFixed(1) : x) + ' ' + units[i];
  }
  function short(id) { return id ? id.slice(0, 8) : ''; }
  function badge(text, extra) { return h('span', { class: 'badge ' + text + (extra ? ' ' + extra : '') }, text); }
  function runLabel(r) { return r.run_name || short(r.run_id); }

  // -- routing -----------------------------------------------------------------------------

  function href(parts, query) {
    const q = query ? new URLSearchParams(query).toString() : '';
    return '#/' + parts.map(encodeURIComponent).join('/') + (q ? '?' + q : '');
  }
  function parseHash() {
    const raw = location.hash.replace(/^#\/?/, '');
    const i = raw.indexOf('?');
    const path = i < 0 ? raw : raw.slice(0, i);
    return {
      parts: path.split('/').filter(Boolean).map(decodeURIComponent),
      q: new URLSearchParams(i < 0 ? '' : raw.slice(i + 1)),
    };
  }
  function setQuery(q) { location.hash = href(parseHash().parts, q); }

  let generation = 0;
  const cleanups = [];
  function onCleanup(fn) { cleanups.push(fn); }
  function alive(gen) { return gen === generation; }

  async function route() {
    generation += 1;
    const gen = generation;
    delete document.body.dataset.ready;
    while (cleanups.length) { try { cleanups.pop()(); } catch (e) { /* already gone */ } }
    const { parts, q } = parseHash();
    const main = clear(document.getElementById('main'));
    document.querySelectorAll('[data-nav]').forEach((a) => a.classList.toggle(
      'active', a.dataset.nav === (parts[0] && parts[0].startsWith('model') ? 'models' : 'experiments')));
    try {
      if (!parts.length || parts[0] === 'experiments') await pageExperiments(main, q, gen);
      else if (parts[0] === 'runs') await pageRuns(main, q, gen);
      else if (parts[0] === 'run' && parts[1]) await pageRun(main, parts[1], q, gen);
      else if (parts[0] === 'compare') await pageCompare(main, q, gen);
      else if (parts[0] === 'models') await pageModels(main, q, gen);
      else if (parts[0] === 'model' && parts[1] && parts[2]) await pageVersion(main, parts[1], parts[2], gen);
      else if (parts[0] === 'model' && parts[1]) await pageModel(main, parts[1], gen);
      else append(main, [h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Experiments'))]);
    } catch (e) {
      if (!alive(gen)) return;
      clear(main);
      append(main, [h('h1', {}, e.status === 404 ? 'Not found' : 'Error'), errorBox(e)]);
    }
    if (alive(gen)) document.body.dataset.ready = String(gen);
  }

  // -- selection (kept while browsing) -----------------------------------------------------

  const selected = new Map(); // run_id -> label
  try {
    for (const [k, v] of JSON.parse(sessionStorage.getItem('litetrack-selected') || '[]')) selected.set(k, v);
  } catch (e) { /* no storage (file://) */ }
  function saveSelection() {
    try { sessionStorage.setItem('litetrack-selected', JSON.stringify([...selected])); } catch (e) { /* ignore */ }
  }

  // -- page: experiments ----------------------------------------------------------------------

  async function pageExperiments(main, q, gen) {
    const search = q.get('q') || '';
    const exps = await api('experiments', { q: search });
    if (!alive(gen)) return;
    const picked = new Set();
    const input = h('input', { type: 'search', placeholder: 'Search experiments by name', value: search, 'aria-label': 'search experiments' });
    const openBtn = h('button', { disabled: true, onclick: () => { location.hash = href(['runs'], { e: [...picked].join(',') }); } }, 'Open runs of selected');
    input.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') setQuery({ q: input.value }); });
    append(main, [
      h('h1', {}, 'Experiments'),
      h('div', { class: 'toolbar' }, input, h('button', { onclick: () => setQuery({ q: input.value }) }, 'Search'), openBtn),
      exps.length ? h('div', { class: 'scroll' }, h('table', { id: 'experiments' },
        h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'Name'), h('th', { class: 'num' }, 'ID'),
          h('th', { class: 'num' }, 'Runs'), h('th', {}, 'Last activity'), h('th', {}, 'Tags'))),
        h('tbody', {}, exps.map((e) => h('tr', {},
          h('td', {}, h('input', { type: 'checkbox', 'aria-label': 'select ' + e.name, onchange: (ev) => {
            if (ev.target.checked) picked.add(e.experiment_id); else picked.delete(e.experiment_id);
            openBtn.disabled = picked.size === 0;
          } })),
          h('td', {}, h('a', { href: href(['runs'], { e: e.experiment_id }) }, e.name)),
          h('td', { class: 'num' }, e.experiment_id),
          h('td', { class: 'num' }, e.runs),
          h('td', {}, fmtTime(e.last_activity)),
          h('td', {}, Object.entries(e.tags).map(([k, v]) => h('span', { class: 'badge' }, k + '=' + v))))))))
        : h('p', { class: 'muted' }, search ? 'No experiment name contains "' + search + '".' : 'No experiments yet.'),
    ]);
  }

  // -- page: runs table --------------------------------------------------------------------------

  const BASE_COLUMNS = {
    name: { label: 'Name', order: 'attributes.run_name', get: (r) => r.run_name },
    status: { label: 'Status', order: 'attributes.status', get: (r) => r.status },
    start: { label: 'Start', order: 'attributes.start_time', get: (r) => r.start_time },
    duration: { label: 'Duration', order: 'attributes.duration', num: true, get: (r) => r.duration },
    user: { label: 'User', order: 'attributes.user_id', get: (r) => r.user_id },
    commit: { label: 'Commit', order: 'tags.`mlflow.source.git.commit`', get: (r) => r.git_commit },
    model_size: { label: 'Model size', order: 'attributes.model_size', num: true, get: (r) => r.model_size },
    artifact_size: { label: 'Artifacts', order: 'attributes.artifact_size', num: true, get: (r) => r.artifact_size },
    experiment: { label: 'Experiment', order: 'attributes.experiment_id', get: (r) => r.experiment_id },
  };
  function tick(key) { return '`' + key.replace(/`/g, '``') + '`'; }
  function columnDef(col) {
    if (BASE_COLUMNS[col]) return BASE_COLUMNS[col];
    if (col.startsWith('metrics.')) {
      const k = col.slice(8);
      return { label: k, num: true, order: 'metrics.' + tick(k), get: (r) => r.metrics[k], metric: k };
    }
    if (col.startsWith('params.')) {
      const k = col.slice(7);
      return { label: k, order: 'params.' + tick(k), get: (r) => r.params[k], param: true };
    }
    if (col.startsWith('tags.')) {
      const k = col.slice(5);
      return { label: k, order: 'tags.' + tick(k), get: (r) => r.tags[k] };
    }
    return { label: col, get: () => '' };
  }
  function cellText(col, r) {
    const v = columnDef(col).get(r);
    if (col === 'start') return fmtTime(v);
    if (col === 'duration') return fmtDur(v);
    if (col === 'model_size' || col === 'artifact_size') return v ? fmtSize(v) : '';
    if (col === 'commit') return v ? v.slice(0, 10) : '';
    return fmtNum(v);
  }

  async function pageRuns(main, q, gen) {
    const exps = (q.get('e') || '').split(',').filter(Boolean);
    const filter = q.get('filter') || '';
    const sort = q.get('sort') || '';
    const desc = q.get('desc') === '1';
    const agg = q.get('agg') === '1';
    const view = q.get('view') || 'active';
    const size = Number(q.get('n') || 50);
    const token = q.get('pt') || '';
    const prev = (q.get('prev') || '').split(',').filter((x) => x !== '');
    const params = { experiments: exps.join(','), filter, max_results: size, view, page_token: token, aggregates: agg ? '1' : '' };
    if (sort) params.order_by = [columnDef(sort).order + (desc ? ' DESC' : ' ASC')];
    const expNames = REPORT ? REPORT.experiments : await api('experiments');
    const names = exps.map((id) => (expNames.find((e) => e.experiment_id === id || e.name === id) || { name: id }).name);
    const head = h('div', {},
      h('div', { class: 'crumbs' }, h('a', { href: '#/' }, 'Experiments'), ' / ', names.join(', ')),
      h('h1', {}, 'Runs of ' + names.join(', ')));
    append(main, [head]);
    const filterInput = h('input', { type: 'text', id: 'filter', value: filter, placeholder: "metrics.rmse < 6.5 AND (params.max_depth = '6' OR tags.team IS NULL)", 'aria-label': 'filter', spellcheck: 'false' });
    const apply = () => setQuery(mergeQuery(q, { filter: filterInput.value, pt: '', prev: '' }));
    filterInput.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') apply(); });
    const viewSel = h('select', { 'aria-label': 'view', onchange: (ev) => setQuery(mergeQuery(q, { view: ev.target.value, pt: '', prev: '' })) },
      ['active', 'deleted', 'all'].map((v) => h('option', { value: v, selected: v === view }, v + ' runs')));
    const aggBox = h('label', {}, h('input', { type: 'checkbox', checked: agg, onchange: (ev) => setQuery(mergeQuery(q, { agg: ev.target.checked ? '1' : '' })) }), ' min/max');
    if (REPORT) {
      filterInput.disabled = true;
      filterInput.value = REPORT.filter || '(no filter)';
    }
    append(main, [h('div', { class: 'toolbar' }, filterInput,
      REPORT ? null : h('button', { class: 'primary', id: 'apply-filter', onclick: apply }, 'Filter'),
      REPORT ? null : viewSel, REPORT ? null : aggBox)]);
    const status = h('div', {});
    const tableBox = h('div', {});
    append(main, [status, tableBox]);
    let page;
    try {
      page = await api('runs', params);
    } catch (e) {
      if (!alive(gen)) return;
      if (e.status === 400) { append(status, [errorBox(e)]); return; }
      throw e;
    }
    if (!alive(gen)) return;
    // Default columns: the optional facts only when some run on the page has them.
    const has = (c) => page.runs.some((r) => { const v = columnDef(c).get(r); return v !== null && v !== undefined && v !== '' && v !== 0; });
    const defaultCols = ['name', 'status', 'start', 'duration'].concat(['user', 'commit', 'model_size'].filter(has))
      .concat(exps.length > 1 ? ['experiment'] : [])
      .concat(page.metric_keys.map((k) => 'metrics.' + k))
      .concat(page.param_keys.slice(0, 12).map((k) => 'params.' + k));
    const cols = q.get('cols') ? q.get('cols').split(',').filter(Boolean) : defaultCols;
    // column chooser: this page's keys at once; every key of the experiments when it opens
    // (one query over all the runs, so not made for every page of the table).
    const keyCols = (keys) => [...new Set(Object.keys(BASE_COLUMNS).concat(keys.metrics.map((k) => 'metrics.' + k),
      keys.params.map((k) => 'params.' + k), keys.tags.map((k) => 'tags.' + k), cols))];
    const choices = h('div', {});
    const fillChoices = (list) => {
      choices.textContent = '';
      append(choices, list.map((c) => h('label', {}, h('input', { type: 'checkbox', checked: cols.includes(c), onchange: (ev) => {
        const next = ev.target.checked ? cols.concat([c]) : cols.filter((x) => x !== c);
        setQuery(mergeQuery(q, { cols: next.join(',') }));
      } }), ' ' + c)));
    };
    fillChoices(keyCols({ metrics: page.metric_keys, params: page.param_keys, tags: [] }));
    const chooser = h('details', { class: 'columns', id: 'column-chooser' }, h('summary', {}, 'Columns'), choices);
    chooser.addEventListener('toggle', async () => {
      if (!chooser.open || chooser.dataset.keys) return;
      chooser.dataset.keys = 'loading';
      try {
        const keys = await api('run-keys', { experiments: exps.join(','), view });
        if (!alive(gen)) return;
        fillChoices(keyCols(keys));
        chooser.dataset.keys = 'loaded';
      } catch (e) { chooser.dataset.keys = ''; }
    });
    const cmpBtn = h('button', { id: 'compare-selected', class: 'primary', onclick: () => { location.hash = href(['compare'], { runs: [...selected.keys()].join(',') }); } });
    const clearBtn = h('button', { onclick: () => { selected.clear(); saveSelection(); route(); } }, 'Clear selection');
    function refreshSel() {
      cmpBtn.textContent = 'Compare & chart selected (' + selected.size + ')';
      cmpBtn.disabled = selected.size < 2 || selected.size > 20;
    }
    refreshSel();
    append(status, [h('div', { class: 'toolbar' }, chooser, cmpBtn, clearBtn,
      h('span', { class: 'muted', id: 'server-time' }, page.runs.length + ' runs on this page' + (REPORT ? '' : ' · server ' + page.server_ms + ' ms')))]);
    if (!page.runs.length) {
      append(tableBox, [h('p', { class: 'muted', id: 'no-runs' }, filter ? 'No run matches this filter.' : 'No runs.')]);
      return;
    }
    const headers = cols.map((c) => {
      const def = columnDef(c);
      const arrow = sort === c ? (desc ? ' ▼' : ' ▲') : '';
      const title = c.startsWith('metrics.') || c.startsWith('params.') ? c : def.label;
      if (!def.order) return h('th', { class: def.num ? 'num' : '', title: 'not sortable' }, def.label);
      return h('th', { class: 'sortable' + (def.num ? ' num' : ''), 'data-col': c, title: 'sort by ' + title, onclick: () => {
        const nextDesc = sort === c ? !desc : false;
        setQuery(mergeQuery(q, { sort: c, desc: nextDesc ? '1' : '', pt: '', prev: '' }));
      } }, (c.startsWith('params.') ? 'param ' : '') + def.label + arrow);
    });
    const rows = page.runs.map((r) => h('tr', { 'data-run': r.run_id },
      h('td', {}, h('input', { type: 'checkbox', 'aria-label': 'select run ' + runLabel(r), checked: selected.has(r.run_id), onchange: (ev) => {
        if (ev.target.checked) selected.set(r.run_id, runLabel(r)); else selected.delete(r.run_id);
        saveSelection(); refreshSel();
      } })),
      cols.map((c) => {
        const def = columnDef(c);
        if (c === 'name') return h('td', { class: 'name' }, h('a', { href: href(['run', r.run_id]), class: 'run-link' }, runLabel(r)), r.lifecycle_stage === 'deleted' ? [' ', badge('deleted')] : null);
        if (c === 'status') return h('td', {}, badge(r.status));
        if (c === 'start' || c === 'commit' || c === 'duration') return h('td', { class: 'nowrap' + (def.num ? ' num' : '') }, cellText(c, r));
        let text = cellText(c, r);
        if (agg && def.metric && r.metric_ranges && r.metric_ranges[def.metric]) {
          const m = r.metric_ranges[def.metric];
          text += ' [' + fmtNum(m.min) + '..' + fmtNum(m.max) + ']';
        }
        return h('td', { class: def.num ? 'num' : '' }, text);
      })));
    append(tableBox, [h('div', { class: 'scroll' }, h('table', { id: 'runs' },
      h('thead', {}, h('tr', {}, h('th', {}, ''), headers)), h('tbody', {}, rows)))]);
    const pageNo = prev.length + 1;
    append(tableBox, [h('div', { class: 'pager' },
      h('button', { disabled: !prev.length && !token, onclick: () => {
        const p = prev.slice(); const back = p.pop();
        setQuery(mergeQuery(q, { pt: back === '0' ? '' : (back || ''), prev: p.join(',') }));
      } }, '‹ Prev'),
      h('span', { id: 'page-no' }, 'page ' + pageNo),
      h('button', { id: 'next-page', disabled: !page.next_page_token, onclick: () => {
        setQuery(mergeQuery(q, { pt: page.next_page_token, prev: prev.concat([token || '0']).join(',') }));
      } }, 'Next ›'))]);
  }

  function mergeQuery(q, changes) {
    const out = new URLSearchParams(q);
    for (const [k, v] of Object.entries(changes)) { if (v === '' || v === null) out.delete(k); else out.set(k, v); }
    return out;
  }

  // -- charts -------------------------------------------------------------------------------------

  function makeChart(el) {
    const chart = window.echarts.init(el, null, { renderer: 'canvas' });
    const onResize = () => chart.resize();
    window.addEventListener('resize', onResize);
    onCleanup(() => { window.removeEventListener('resize', onResize); chart.dispose(); });
    return chart;
  }
  function smooth(values, alpha) {
    if (!alpha) return values;
    let last = null;
    return values.map((v) => {
      if (typeof v !== 'number') return v;
      last = last === null ? v : alpha * last + (1 - alpha) * v;
      return last;
    });
  }

  /* Step curves of `metric` for `runs` ([{run_id, run_name, status}]) with x/log/smoothing controls. */
  function curvePanel(runs, metrics, initialMetric) {
    const state = { metric: initialMetric || metrics[0], x: 'step', log: false, smooth: 0 };
    const el = h('div', { class: 'chart', id: 'curve-chart', role: 'img', 'aria-label': 'metric curves' });
    const metricSel = h('select', { 'aria-label': 'metric', id: 'curve-metric', onchange: (ev) => { state.metric = ev.target.value; draw(); } },
      metrics.map((m) => h('option', { value: m, selected: m === state.metric }, m)));
    const xSel = h('select', { 'aria-label': 'x axis', onchange: (ev) => { state.x = ev.target.value; draw(); } },
      [['step', 'x = step'], ['time', 'x = time'], ['relative', 'x = relative time (s)']].map(([v, t]) => h('option', { value: v }, t)));
    const logBox = h('input', { type: 'checkbox', onchange: (ev) => { state.log = ev.target.checked; draw(); } });
    const smoothIn = h('input', { type: 'range', min: 0, max: 0.99, step: 0.01, value: 0, 'aria-label': 'smoothing', oninput: (ev) => { state.smooth = Number(ev.target.value); draw(false); } });
    let chart = null;
    const cache = new Map();
    async function fetchAll(force) {
      // One request for every run's curve, thinned on the server to about two
      // points per pixel of the chart (min and max of each pixel's bucket).
      if (!force && cache.has(state.metric)) return cache.get(state.metric);
      const width = el.clientWidth || 1000;
      const maxPoints = Math.max(500, Math.min(4000, 2 * Math.round(width)));
      let hists;
      try {
        const res = await api('metric-histories', { runs: runs.map((r) => r.run_id).join(','), key: state.metric, max_points: maxPoints });
        hists = res.histories;
      } catch (e) { hists = runs.map(() => null); }
      cache.set(state.metric, hists);
      return hists;
    }
    async function draw(force) {
      if (!state.metric) return;
      const t0 = performance.now();
      const hists = await fetchAll(force);
      const t1 = performance.now();
      if (!chart) chart = makeChart(el);
      const series = [];
      hists.forEach((hist, i) => {
        if (!hist) return;
        const t0 = hist.timestamp.length ? hist.timestamp[0] : 0;
        const xs = state.x === 'step' ? hist.step : state.x === 'time' ? hist.timestamp : hist.timestamp.map((t) => (t - t0) / 1000);
        const ys = smooth(hist.value.map((v) => (typeof v === 'number' ? v : null)), state.smooth);
        const data = new Array(xs.length);
        for (let j = 0; j < xs.length; j++) data[j] = [xs[j], ys[j]];
        series.push({ name: runLabel(runs[i]) + ' · ' + short(runs[i].run_id), type: 'line', showSymbol: xs.length < 60, data, sampling: 'lttb', large: true, animation: false });
      });
      chart.setOption({
        animation: false,
        tooltip: { trigger: 'axis', confine: true },
        legend: { type: 'scroll', top: 0 },
        grid: { left: 60, right: 20, top: 40, bottom: 50 },
        xAxis: { type: state.x === 'time' ? 'time' : 'value', name: state.x, nameLocation: 'middle', nameGap: 28, scale: true },
        yAxis: { type: state.log ? 'log' : 'value', name: state.metric, scale: true },
        dataZoom: [{ type: 'inside' }, { type: 'slider', height: 16, bottom: 4, showDataShadow: false }],
        series,
      }, true);
      // Timings for benchmarks/bench_ui.py (data fetch, then chart build + first paint).
      el.dataset.fetchMs = (t1 - t0).toFixed(1);
      el.dataset.renderMs = (performance.now() - t1).toFixed(1);
      el.dataset.points = String(series.reduce((n, x) => n + x.data.length, 0));
      el.dataset.rendered = String(series.length);
    }
    const live = runs.some((r) => r.status === 'RUNNING');
    if (live && !REPORT) {
      const timer = setInterval(() => draw(true), 3000);
      onCleanup(() => clearInterval(timer));
    }
    const box = h('div', {},
      h('div', { class: 'toolbar' }, metricSel, xSel, h('label', {}, logBox, ' log scale'), h('label', {}, 'smoothing ', smoothIn),
        live ? h('span', { class: 'badge RUNNING' }, 'live') : null),
      el);
    return { box, draw, setMetric: (m) => { state.metric = m; metricSel.value = m; draw(); } };
  }

  function numeric(v) { return typeof v === 'number' || (typeof v === 'string' && v !== '' && !isNaN(Number(v))); }

  /* Parallel coordinates, scatter and bars over run details ([{run_id, run_name, params, metrics}]). */
  function analysisPanel(details) {
    const metricKeys = [...new Set(details.flatMap((d) => Object.keys(d.metrics)))].sort();
    const paramKeys = [...new Set(details.flatMap((d) => Object.keys(d.params)))].sort();
    const fields = paramKeys.map((k) => 'params.' + k).concat(metricKeys.map((k) => 'metrics.' + k));
    const value = (d, f) => {
      if (f.startsWith('params.')) return d.params[f.slice(7)];
      const m = d.metrics[f.slice(8)];
      return m === undefined ? undefined : (m && typeof m === 'object' ? m.value : m);
    };
    const state = { metric: metricKeys[0], x: fields[0], y: 'metrics.' + metricKeys[0] };
    const pEl = h('div', { class: 'chart', id: 'parallel-chart' });
    const sEl = h('div', { class: 'chart', id: 'scatter-chart' });
    const bEl = h('div', { class: 'chart', id: 'bar-chart' });
    const sel = (opts, cur, fn, label) => h('select', { 'aria-label': label, onchange: (ev) => { fn(ev.target.value); draw(); } },
      opts.map((o) => h('option', { value: o, selected: o === cur }, o)));
    let charts = null;
    function draw() {
      if (!charts) charts = [makeChart(pEl), makeChart(sEl), makeChart(bEl)];
      const [pc, sc, bc] = charts;
      const dims = paramKeys.concat(state.metric ? [state.metric] : []);
      const parallelAxis = dims.map((k, i) => {
        const isMetric = i === dims.length - 1 && state.metric;
        const vals = details.map((d) => (isMetric ? value(d, 'metrics.' + k) : d.params[k]));
        const num = vals.every((v) => v === undefined || numeric(v));
        // A little room past the extremes, so no line hides on an axis end.
        const pad = (v) => (v.max - v.min) * 0.05 || Math.abs(v.max) * 0.05 || 1;
        const round = (x) => Number(x.toPrecision(6));
        return num ? { dim: i, name: k, type: 'value', min: (v) => round(v.min - pad(v)), max: (v) => round(v.max + pad(v)),
          axisLabel: { showMinLabel: false, showMaxLabel: false } }
          : { dim: i, name: k, type: 'category', data: [...new Set(vals.map((v) => (v === undefined ? '-' : String(v))))] };
      });
      const metricVals = details.map((d) => value(d, 'metrics.' + state.metric)).filter(numeric).map(Number);
      pc.setOption({
        animation: false, tooltip: {},
        parallelAxis, parallel: { left: 60, right: 80, top: 40, bottom: 30 },
        // Lines coloured by the metric: low = blue, high = red.
        visualMap: metricVals.length ? { show: false, type: 'continuous', dimension: dims.length - 1,
          min: Math.min(...metricVals), max: Math.max(...metricVals), inRange: { color: ['#2c7bb6', '#fdae61', '#d7191c'] } } : undefined,
        series: [{ type: 'parallel', lineStyle: { width: 3, opacity: 0.8 },
          data: details.map((d) => dims.map((k, i) => {
            const v = i === dims.length - 1 && state.metric ? value(d, 'metrics.' + k) : d.params[k];
            if (v === undefined) return parallelAxis[i].type === 'category' ? '-' : null;
            return parallelAxis[i].type === 'value' ? Number(v) : String(v);
          })) }],
      }, true);
      const pts = details.map((d) => [value(d, state.x), value(d, state.y), runLabel(d)])
        .filter((p) => p[0] !== undefined && p[1] !== undefined);
      const xNum = pts.every((p) => numeric(p[0]));
      sc.setOption({
        animation: false, tooltip: { trigger: 'item' }, grid: { left: 60, right: 20, top: 30, bottom: 40 },
        xAxis: xNum ? { type: 'value', name: state.x, scale: true, nameLocation: 'middle', nameGap: 26 }
          : { type: 'category', name: state.x, data: [...new Set(pts.map((p) => String(p[0])))], nameLocation: 'middle', nameGap: 26 },
        yAxis: { type: 'value', name: state.y, scale: true },
        series: [{ type: 'scatter', symbolSize: 10, data: pts.map((p) => ({ value: [xNum ? Number(p[0]) : String(p[0]), Number(p[1])], name: p[2] })) }],
      }, true);
      bc.setOption({
        animation: false, tooltip: { trigger: 'axis' }, grid: { left: 60, right: 20, top: 30, bottom: 60 },
        xAxis: { type: 'category', data: details.map((d) => runLabel(d)), axisLabel: { rotate: 30 } },
        yAxis: { type: 'value', name: state.metric, scale: false },
        series: [{ type: 'bar', data: details.map((d) => { const v = value(d, 'metrics.' + state.metric); return numeric(v) ? Number(v) : null; }) }],
      }, true);
    }
    const box = h('div', {},
      h('h2', {}, 'Parallel coordinates: params → metric'),
      h('div', { class: 'toolbar' }, sel(metricKeys, state.metric, (v) => { state.metric = v; }, 'parallel metric')),
      pEl,
      h('div', { class: 'grid2' },
        h('div', {}, h('h2', {}, 'Scatter'), h('div', { class: 'toolbar' }, 'x ', sel(fields, state.x, (v) => { state.x = v; }, 'scatter x'),
          ' y ', sel(fields, state.y, (v) => { state.y = v; }, 'scatter y')), sEl),
        h('div', {}, h('h2', {}, 'Bars: metric per run'), bEl)));
    return { box, draw: () => { if (metricKeys.length) draw(); } };
  }

  // -- page: run ---------------------------------------------------------------------------------

  function kvTable(obj, id) {
    const entries = Object.entries(obj || {});
    if (!entries.length) return h('p', { class: 'muted' }, 'none');
    return h('div', { class: 'scroll' }, h('table', { class: 'kv', id },
      h('tbody', {}, entries.map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, typeof v === 'object' && v !== null ? JSON.stringify(v) : fmtNum(v)))))));
  }

  async function pageRun(main, runId, q, gen) {
    const d = await api('runs/' + encodeURIComponent(runId));
    if (!alive(gen)) return;
    document.title = (d.run_name || d.run_id) + ' · litetrack';
    const metricKeys = Object.keys(d.metrics);
    const userTags = Object.fromEntries(Object.entries(d.tags).filter(([k]) => !k.startsWith('mlflow.')));
    const description = d.tags['mlflow.note.content'] || '';
    append(main, [
      h('div', { class: 'crumbs' }, h('a', { href: '#/' }, 'Experiments'), ' / ',
        h('a', { href: href(['runs'], { e: d.experiment_id }) }, d.experiment_name || d.experiment_id), ' / run'),
      h('h1', { id: 'run-name' }, d.run_name || d.run_id, ' ', badge(d.status), d.lifecycle_stage === 'deleted' ? [' ', badge('deleted')] : null),
      kvTable({
        'run id': d.run_id, status: d.status, start: fmtTime(d.start_time), end: fmtTime(d.end_time),
        duration: fmtDur(d.duration), user: d.user_id || '', host: d.host || '', 'artifact size': fmtSize(d.artifact_size),
        'model size': d.model_size ? fmtSize(d.model_size) : '', parent: d.parent_run_id || '',
      }, 'run-info'),
    ]);
    if (description || !CONFIG.read_only) append(main, [h('h2', {}, 'Description'), editable(description, 'run-description', (text) => post('runs/' + encodeURIComponent(runId) + '/description', { description: text }))]);
    if (!CONFIG.read_only) {
      append(main, [h('div', { class: 'toolbar' }, d.lifecycle_stage === 'deleted'
        ? h('button', { id: 'restore-run', onclick: () => act(post('runs/' + encodeURIComponent(runId) + '/restore'), 'Run restored') }, 'Restore run')
        : h('button', { class: 'danger', id: 'delete-run', onclick: () => { if (confirm('Delete this run? (restorable)')) act(post('runs/' + encodeURIComponent(runId) + '/delete'), 'Run deleted'); } }, 'Delete run'))]);
    }
    // metrics with curves
    append(main, [h('h2', {}, 'Metrics')]);
    let panel = null;
    if (metricKeys.length) {
      const longest = metricKeys.reduce((a, b) => ((d.metrics[b].count || 0) > (d.metrics[a].count || 0) ? b : a));
      panel = curvePanel([{ run_id: d.run_id, run_name: d.run_name, status: d.status }], metricKeys, q.get('metric') || longest);
      append(main, [h('div', { class: 'scroll' }, h('table', { id: 'metrics' },
        h('thead', {}, h('tr', {}, ['Metric', 'Last', 'Step', 'Min', 'Max', 'Count'].map((t, i) => h('th', { class: i ? 'num' : '' }, t)))),
        h('tbody', {}, metricKeys.map((k) => {
          const m = d.metrics[k];
          return h('tr', {}, h('td', {}, h('a', { href: '#', onclick: (ev) => { ev.preventDefault(); panel.setMetric(k); } }, k)),
            h('td', { class: 'num' }, fmtNum(m.value)), h('td', { class: 'num' }, fmtNum(m.step)),
            h('td', { class: 'num' }, fmtNum(m.min)), h('td', { class: 'num' }, fmtNum(m.max)), h('td', { class: 'num' }, fmtNum(m.count)));
        })))), panel.box]);
    } else append(main, [h('p', { class: 'muted' }, 'none')]);
    append(main, [h('h2', {}, 'Parameters'), kvTable(d.params, 'params')]);
    append(main, [h('h2', {}, 'Tags'), kvTable(userTags, 'tags')]);
    if (!CONFIG.read_only) append(main, [tagEditor((key, value, del) => post('runs/' + encodeURIComponent(runId) + '/tag', { key, value, delete: del }))]);
    // source
    const src = d.source;
    append(main, [h('h2', {}, 'Source')]);
    if (src) {
      append(main, [kvTable({
        'entry point': src.entry_point || '', type: src.type || '', 'git commit': src.git_commit || '',
        branch: src.git_branch || '', 'working tree': src.git_commit ? (src.git_dirty ? 'dirty (uncommitted changes)' : 'clean') : '',
        repository: src.git_repo_url || '',
      }, 'source')]);
      main.querySelectorAll('#source tr').forEach((tr) => { if (!tr.lastChild.textContent) tr.remove(); });
      if (src.diff_digest && !REPORT) {
        const out = h('div', {});
        append(main, [h('button', { onclick: async (ev) => {
          ev.target.disabled = true;
          const r = await api('runs/' + encodeURIComponent(runId) + '/source-diff');
          append(out, [h('pre', { id: 'source-diff' }, r.diff || '(empty)')]);
        } }, 'Show the uncommitted diff'), out]);
      }
    } else append(main, [h('p', { class: 'muted' }, 'not captured')]);
    // environment
    append(main, [h('h2', {}, 'Environment')]);
    const env = d.environment;
    if (env) {
      append(main, [kvTable({ python: env.python + (env.implementation ? ' (' + env.implementation + ')' : ''), platform: env.platform || '', packages: env.packages }, 'environment')]);
      if (!REPORT) {
        const other = h('input', { type: 'text', placeholder: 'another run id', 'aria-label': 'run id to diff against', value: q.get('against') || '' });
        const out = h('div', {});
        const showPkgs = h('button', { onclick: async () => { const r = await api('runs/' + encodeURIComponent(runId) + '/environment'); clear(out); append(out, [kvTable(r.packages, 'packages')]); } }, 'List packages');
        const diffBtn = h('button', { onclick: async () => {
          clear(out);
          try {
            const r = await api('runs/' + encodeURIComponent(runId) + '/environment', { against: other.value.trim() });
            const df = r.diff;
            if (!df.available) { append(out, [h('p', { class: 'muted' }, 'No captured environment to compare.')]); return; }
            const rows = [].concat(Object.entries(df.added).map(([k, v]) => ['+ ' + k, v]), Object.entries(df.removed).map(([k, v]) => ['- ' + k, v]),
              Object.entries(df.changed).map(([k, v]) => ['~ ' + k, v[0] + ' → ' + v[1]]), Object.entries(df.python || {}).map(([k, v]) => ['python ' + k, JSON.stringify(v)]));
            append(out, [rows.length ? kvTable(Object.fromEntries(rows), 'env-diff') : h('p', {}, 'Identical environments.')]);
          } catch (e) { append(out, [errorBox(e)]); }
        } }, 'Diff against run');
        append(main, [h('div', { class: 'toolbar' }, showPkgs, other, diffBtn), out]);
      }
    } else append(main, [h('p', { class: 'muted' }, 'not captured')]);
    // inputs
    append(main, [h('h2', {}, 'Inputs')]);
    append(main, [d.inputs.length ? h('div', { class: 'scroll' }, h('table', { id: 'inputs' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Dataset'), h('th', {}, 'Digest'), h('th', {}, 'Source'), h('th', {}, 'Context'))),
      h('tbody', {}, d.inputs.map((i) => {
        const ds = i.dataset || {};
        return h('tr', {}, h('td', {}, ds.name || ''), h('td', {}, ds.digest || ''), h('td', {}, ds.source_type || ''),
          h('td', {}, (i.tags || {})['mlflow.data.context'] || ''));
      })))) : h('p', { class: 'muted' }, 'none')]);
    // artifacts
    append(main, [h('h2', {}, 'Artifacts')]);
    if (REPORT) append(main, [h('p', { class: 'muted' }, 'Artifacts are not part of the report.')]);
    else append(main, [await artifactBrowser(runId, q.get('artifact') || '')]);
    if (panel) panel.draw();
    if (d.status === 'RUNNING' && !REPORT) {
      const timer = setInterval(async () => {
        try { const fresh = await api('runs/' + encodeURIComponent(runId)); if (fresh.status !== 'RUNNING') route(); } catch (e) { /* keep polling */ }
      }, 5000);
      onCleanup(() => clearInterval(timer));
    }
  }

  async function artifactBrowser(runId, open) {
    const list = h('ul', { id: 'artifact-list' });
    const view = h('div', { id: 'artifact-view' }, h('p', { class: 'muted' }, 'Select a file to preview it.'));
    const base = 'runs/' + encodeURIComponent(runId);
    async function listDir(path, ul) {
      const entries = await api(base + '/artifacts', { path });
      if (!entries.length && !path) append(ul, [h('li', { class: 'muted' }, 'none')]);
      for (const e of entries) {
        const name = e.path.split('/').pop();
        if (e.is_dir) {
          const sub = h('ul', { style: null });
          const li = h('li', {}, h('a', { href: '#', class: 'artifact-dir', onclick: async (ev) => {
            ev.preventDefault();
            if (sub.childNodes.length) clear(sub); else await listDir(e.path, sub);
          } }, '▸ ' + name + '/'), sub);
          sub.className = 'nested';
          append(ul, [li]);
        } else {
          append(ul, [h('li', {}, h('a', { href: '#', class: 'artifact-file', 'data-path': e.path, onclick: (ev) => { ev.preventDefault(); show(e.path); } }, name),
            ' ', h('span', { class: 'muted' }, fmtSize(e.file_size)))]);
        }
      }
    }
    async function show(path) {
      clear(view);
      const dl = apiUrl(base + '/artifact', { path }).toString();
      append(view, [h('div', { class: 'toolbar' }, h('strong', {}, path), h('a', { href: dl, download: path.split('/').pop(), id: 'artifact-download' }, 'Download'))]);
      try {
        const p = await api(base + '/artifact-preview', { path });
        if (p.kind === 'image') append(view, [h('img', { src: apiUrl(base + '/artifact', { path, inline: '1' }).toString(), alt: path })]);
        else if (p.kind === 'table') {
          const [head, ...rows] = p.rows;
          append(view, [h('div', { class: 'scroll' }, h('table', { id: 'artifact-table' },
            h('thead', {}, h('tr', {}, (head || []).map((c) => h('th', {}, c)))),
            h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))))),
          p.truncated || rows.length >= 100 ? h('p', { class: 'muted' }, 'First rows only.') : null]);
        } else if (p.kind === 'binary') append(view, [h('p', { class: 'muted' }, 'Binary file (' + fmtSize(p.size) + '): download it to open.')]);
        else append(view, [h('pre', { id: 'artifact-text' }, p.text), p.truncated ? h('p', { class: 'muted' }, 'Truncated preview (' + fmtSize(p.size) + ').') : null]);
      } catch (e) { append(view, [errorBox(e)]); }
    }
    await listDir('', list);
    if (open) show(open);
    return h('div', { class: 'artifacts' }, h('div', {}, list), view);
  }

  function editable(text, id, save) {
    const pre = h('p', { id }, text || (CONFIG.read_only ? '' : '(no description)'));
    if (CONFIG.read_only) return pre;
    const area = h('textarea', { rows: 3, style: null, 'aria-label': 'description' });
    area.value = text || '';
    area.style.width = '100%';
    const box = h('div', {}, pre);
    const edit = h('button', { onclick: () => { clear(box); append(box, [area, h('div', { class: 'toolbar' },
      h('button', { class: 'primary', onclick: () => act(save(area.value), 'Description saved') }, 'Save'),
      h('button', { onclick: () => route() }, 'Cancel'))]); } }, 'Edit description');
    append(box, [edit]);
    return box;
  }

  function tagEditor(save) {
    const key = h('input', { type: 'text', placeholder: 'tag key', 'aria-label': 'tag key' });
    const value = h('input', { type: 'text', placeholder: 'value', 'aria-label': 'tag value' });
    return h('div', { class: 'toolbar' }, key, value,
      h('button', { onclick: () => act(save(key.value, value.value, false), 'Tag set') }, 'Set tag'),
      h('button', { onclick: () => act(save(key.value, '', true), 'Tag removed') }, 'Remove tag'));
  }

  async function act(promise, message) {
    try {
      await promise;
      flash(message);
      route();
    } catch (e) {
      flash(e.message, true);
    }
  }

  // -- page: compare --------------------------------------------------------------------------

  async function pageCompare(main, q, gen) {
    const ids = (q.get('runs') || '').split(',').filter(Boolean);
    const data = await api('compare', { runs: ids.join(',') });
    const details = await Promise.all(ids.map((id) => api('runs/' + encodeURIComponent(id))));
    if (!alive(gen)) return;
    const runs = details.map((d) => ({ run_id: d.run_id, run_name: d.run_name, status: d.status, params: d.params, metrics: d.metrics }));
    append(main, [
      h('div', { class: 'crumbs' }, h('a', { href: '#/' }, 'Experiments'), ' / ',
        h('a', { href: href(['runs'], { e: [...new Set(details.map((d) => d.experiment_id))].join(',') }) }, 'runs'), ' / compare'),
      h('h1', {}, 'Compare ' + ids.length + ' runs'),
      h('p', { class: 'muted' }, 'Highlighted rows differ between the runs.'),
      h('div', { class: 'scroll' }, h('table', { id: 'compare' },
        h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, ''), data.run_ids.map((id, i) => h('th', {}, h('a', { href: href(['run', id]) }, data.run_names[i] || short(id)))))),
        h('tbody', {}, data.rows.map((r, i) => h('tr', { class: r.differ ? 'differ' : '' },
          h('td', { class: 'muted' }, i === 0 || data.rows[i - 1].section !== r.section ? r.section : ''),
          h('td', {}, r.label), r.texts.map((t) => h('td', {}, t))))))),
    ]);
    const metricKeys = [...new Set(details.flatMap((d) => Object.keys(d.metrics)))].sort();
    if (metricKeys.length) {
      const count = (k) => details.reduce((n, d) => n + ((d.metrics[k] || {}).count || 0), 0);
      const longest = metricKeys.reduce((a, b) => (count(b) > count(a) ? b : a));
      const curves = curvePanel(runs, metricKeys, longest);
      append(main, [h('h2', {}, 'Curves'), curves.box]);
      const analysis = analysisPanel(runs);
      append(main, [analysis.box]);
      await curves.draw();
      analysis.draw();
    }
  }

  // -- pages: models ----------------------------------------------------------------------------

  async function pageModels(main, q, gen) {
    const search = q.get('q') || '';
    const models = await api('models', { q: search });
    if (!alive(gen)) return;
    const input = h('input', { type: 'search', value: search, placeholder: 'Search models by name', 'aria-label': 'search models' });
    input.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') setQuery({ q: input.value }); });
    append(main, [h('h1', {}, 'Registered models'), h('div', { class: 'toolbar' }, input, h('button', { onclick: () => setQuery({ q: input.value }) }, 'Search')),
      models.length ? h('div', { class: 'scroll' }, h('table', { id: 'models' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Latest versions'), h('th', {}, 'Aliases'), h('th', {}, 'Description'), h('th', {}, 'Updated'))),
        h('tbody', {}, models.map((m) => h('tr', {},
          h('td', {}, h('a', { href: href(['model', m.name]) }, m.name)),
          h('td', {}, m.latest_versions.map((v) => [h('a', { href: href(['model', m.name, String(v.version)]) }, 'v' + v.version), ' ', badge(v.current_stage), ' '])),
          h('td', {}, Object.entries(m.aliases).map(([a, v]) => h('span', { class: 'badge' }, '@' + a + ' → v' + v))),
          h('td', {}, m.description || ''),
          h('td', {}, fmtTime(m.last_updated_timestamp))))))) : h('p', { class: 'muted' }, 'No registered models.')]);
  }

  async function pageModel(main, name, gen) {
    const m = await api('models/' + encodeURIComponent(name));
    if (!alive(gen)) return;
    const metricKeys = [...new Set(m.versions.flatMap((v) => Object.keys(v.metrics)))].sort().slice(0, 6);
    append(main, [
      h('div', { class: 'crumbs' }, h('a', { href: '#/models' }, 'Models'), ' / ', m.name),
      h('h1', {}, m.name),
      editable(m.description, 'model-description', (text) => post('models/' + encodeURIComponent(name) + '/description', { description: text })),
      h('h2', {}, 'Tags'), kvTable(m.tags, 'model-tags'),
      CONFIG.read_only ? null : tagEditor((key, value, del) => post('models/' + encodeURIComponent(name) + '/tag', { key, value, delete: del })),
      h('h2', {}, 'Versions'),
      h('div', { class: 'scroll' }, h('table', { id: 'versions' },
        h('thead', {}, h('tr', {}, ['Version', 'Stage', 'Aliases', 'Source run', 'Size', 'Created'].map((t) => h('th', {}, t)), metricKeys.map((k) => h('th', { class: 'num' }, k)))),
        h('tbody', {}, m.versions.map((v) => h('tr', { 'data-version': v.version },
          h('td', {}, h('a', { href: href(['model', m.name, String(v.version)]) }, 'Version ' + v.version)),
          h('td', {}, badge(v.current_stage)),
          h('td', {}, v.aliases.map((a) => h('span', { class: 'badge' }, '@' + a))),
          h('td', {}, v.run_id ? h('a', { href: href(['run', v.run_id]) }, v.run_name || short(v.run_id)) : ''),
          h('td', { class: 'num' }, v.model_size ? fmtSize(v.model_size) : ''),
          h('td', {}, fmtTime(v.creation_timestamp)),
          metricKeys.map((k) => h('td', { class: 'num' }, fmtNum(v.metrics[k])))))))),
      h('h2', {}, 'History'),
      h('div', { class: 'scroll' }, h('table', { id: 'history' },
        h('thead', {}, h('tr', {}, ['Time', 'User', 'Action', 'Version', 'From', 'To', 'Comment'].map((t) => h('th', {}, t)))),
        h('tbody', {}, m.history.slice().reverse().map((e) => h('tr', {},
          h('td', {}, fmtTime(e.time)), h('td', {}, e.user || ''), h('td', {}, e.action), h('td', {}, e.version === null ? '' : e.version),
          h('td', {}, e.from === null ? '' : typeof e.from === 'object' ? JSON.stringify(e.from) : e.from),
          h('td', {}, e.to === null ? '' : typeof e.to === 'object' ? JSON.stringify(e.to) : e.to),
          h('td', {}, e.comment || '')))))),
    ]);
  }

  async function pageVersion(main, name, version, gen) {
    const v = await api('models/' + encodeURIComponent(name) + '/versions/' + encodeURIComponent(version));
    if (!alive(gen)) return;
    const base = 'models/' + encodeURIComponent(name) + '/versions/' + encodeURIComponent(version);
    append(main, [
      h('div', { class: 'crumbs' }, h('a', { href: '#/models' }, 'Models'), ' / ', h('a', { href: href(['model', name]) }, name), ' / version ' + v.version),
      h('h1', {}, name + ' version ' + v.version, ' ', h('span', { id: 'stage' }, badge(v.current_stage)),
        v.aliases.map((a) => [' ', h('span', { class: 'badge' }, '@' + a)])),
      kvTable({ uri: v.uri, stage: v.current_stage, aliases: v.aliases.join(', '), 'source run': v.run_id || '', source: v.source || '',
        created: fmtTime(v.creation_timestamp), user: v.user_id || '', status: v.status || '' }, 'version-info'),
      v.run_id ? h('p', {}, h('a', { href: href(['run', v.run_id]), id: 'source-run' }, 'Open the source run')) : null,
      h('h2', {}, 'Description'),
      editable(v.description, 'version-description', (text) => post(base + '/description', { description: text })),
    ]);
    if (!CONFIG.read_only) {
      const stage = h('select', { id: 'stage-select', 'aria-label': 'stage' }, ['None', 'Staging', 'Production', 'Archived'].map((s) => h('option', { value: s, selected: s === v.current_stage }, s)));
      const archive = h('input', { type: 'checkbox', id: 'archive-existing', checked: true });
      const comment = h('input', { type: 'text', placeholder: 'comment (recorded in the history)', 'aria-label': 'comment' });
      const alias = h('input', { type: 'text', placeholder: 'alias, e.g. champion', 'aria-label': 'alias', id: 'alias-input' });
      append(main, [h('h2', {}, 'Actions'),
        h('div', { class: 'toolbar' }, 'Move to ', stage, h('label', {}, archive, ' archive versions already there'), comment,
          h('button', { class: 'primary', id: 'move-stage', onclick: () => act(post(base + '/stage', { stage: stage.value, archive_existing: archive.checked, comment: comment.value || null }), 'Stage changed') }, 'Move')),
        h('div', { class: 'toolbar' }, alias,
          h('button', { id: 'set-alias', onclick: () => act(post(base + '/alias', { alias: alias.value }), 'Alias set') }, 'Set alias'),
          h('button', { onclick: () => act(post('models/' + encodeURIComponent(name) + '/alias/delete', { alias: alias.value }), 'Alias removed') }, 'Remove alias')),
        tagEditor((key, value, del) => post(base + '/tag', { key, value, delete: del }))]);
    }
    append(main, [h('h2', {}, 'Tags'), kvTable(v.tags, 'version-tags')]);
    append(main, [h('h2', {}, 'Use it'),
      h('p', {}, 'With pandas:'), h('pre', { id: 'code-pandas' }, v.code.pandas),
      h('p', {}, 'With Spark:'), h('pre', { id: 'code-spark' }, v.code.spark),
      v.code.stage ? [h('p', {}, 'Whatever is in ' + v.current_stage + ':'), h('pre', {}, v.code.stage)] : null]);
    append(main, [h('h2', {}, 'Signature and environment')]);
    const files = Object.entries(v.files);
    if (!files.length) append(main, [h('p', { class: 'muted' }, 'The model files could not be read.')]);
    for (const [fname, text] of files) append(main, [h('h3', {}, fname), h('pre', {}, text)]);
  }

  // -- report mode: the API over embedded data ---------------------------------------------------

  function reportApi(path, params) {
    const R = REPORT;
    let m;
    if (path === 'config') return Promise.resolve({ read_only: true, report: true });
    if (path === 'experiments') return Promise.resolve(R.experiments);
    if (path === 'runs') {
      const rows = R.runs.slice();
      const order = (params.order_by || [])[0];
      const sortCol = parseHash().q.get('sort');
      if (order && sortCol) {
        const def = columnDef(sortCol);
        const dir = / DESC$/.test(order) ? -1 : 1;
        rows.sort((a, b) => {
          const x = def.get(a); const y = def.get(b);
          if (x === undefined || x === null) return 1;
          if (y === undefined || y === null) return -1;
          const nx = numeric(x) && numeric(y) ? Number(x) - Number(y) : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
          return nx * dir;
        });
      }
      const size = Number(params.max_results || 50);
      const offset = Number(params.page_token || 0);
      const page = rows.slice(offset, offset + size);
      return Promise.resolve({ runs: page, next_page_token: offset + size < rows.length ? String(offset + size) : null,
        metric_keys: R.metric_keys, param_keys: R.param_keys });
    }
    if ((m = path.match(/^runs\/([^/]+)$/))) {
      const d = R.details[decodeURIComponent(m[1])];
      return d ? Promise.resolve(d) : Promise.reject(new ApiError(404, 'This run is not in the report'));
    }
    if (path === 'run-keys') return Promise.resolve({ metrics: R.metric_keys, params: R.param_keys, tags: [] });
    if (path === 'metric-histories') {
      const ids = (params.runs || '').split(',').filter(Boolean);
      return Promise.resolve({ key: params.key, histories: ids.map((id) => (R.histories[id] || {})[params.key] || null) });
    }
    if ((m = path.match(/^runs\/([^/]+)\/metric-history$/))) {
      const hh = (R.histories[decodeURIComponent(m[1])] || {})[params.key];
      return hh ? Promise.resolve(hh) : Promise.reject(new ApiError(404, 'No history in the report'));
    }
    if (path === 'compare') {
      const ids = (params.runs || '').split(',').filter(Boolean);
      const ds = ids.map((id) => R.details[id]).filter(Boolean);
      if (ds.length !== ids.length) return Promise.reject(new ApiError(404, 'A run is not in the report'));
      const rows = [];
      const add = (section, label, texts) => rows.push({ section, label, texts, differ: new Set(texts).size > 1 });
      add('run', 'status', ds.map((d) => d.status));
      add('run', 'duration', ds.map((d) => fmtDur(d.duration)));
      add('run', 'model size', ds.map((d) => fmtSize(d.model_size)));
      for (const k of [...new Set(ds.flatMap((d) => Object.keys(d.params)))].sort()) add('params', k, ds.map((d) => (d.params[k] === undefined ? '' : d.params[k])));
      for (const k of [...new Set(ds.flatMap((d) => Object.keys(d.metrics)))].sort()) {
        add('metrics', k, ds.map((d) => { const s = d.metrics[k]; return s ? fmtNum(s.value) + ' [' + fmtNum(s.min) + '..' + fmtNum(s.max) + ']' : ''; }));
      }
      add('source', 'git commit', ds.map((d) => ((d.source || {}).git_commit || '').slice(0, 10)));
      add('environment', 'python', ds.map((d) => (d.environment || {}).python || ''));
      return Promise.resolve({ run_ids: ids, run_names: ds.map((d) => d.run_name), rows });
    }
    return Promise.reject(new ApiError(404, 'Not available in the report: ' + path));
  }

  // -- start ---------------------------------------------------------------------------------------

  async function start() {
    try {
      CONFIG = await api('config');
    } catch (e) {
      clear(document.getElementById('main')).appendChild(errorBox(e));
      return;
    }
    const mode = document.getElementById('mode');
    if (REPORT) {
      mode.textContent = 'report of ' + REPORT.experiment + ', ' + fmtTime(REPORT.created);
      document.querySelectorAll('[data-nav=models]').forEach((a) => a.remove());
      // replaceState, not location.hash: a hash set here fires a hashchange after
      // the route() below, which renders the page a second time (a click on the
      // first rendering may land on a table about to be replaced).
      if (!location.hash) history.replaceState(null, '', href(['runs'], { e: REPORT.experiment_id }));
    } else {
      mode.textContent = (CONFIG.read_only ? 'read-only · ' : '') + (CONFIG.store || '');
    }
    window.addEventListener('hashchange', route);
    route();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
