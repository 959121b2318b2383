/**
 * The live inspector's page (GET /inspector): one self-contained HTML document, styles and script
 * inline, nothing fetched from elsewhere. It follows /inspector/events (server-sent events) and shows
 * the actor tree with each actor's state and context summary, the state machine of the selected
 * actor drawn from its definition with its active states highlighted, and the recent events
 * between actors, filterable by actor.
 */
export const INSPECTOR_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>monasca-persister: actors</title>
<style>
  body { font: 13px/1.4 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f6f7f9; }
  header { display: flex; gap: 16px; align-items: baseline; padding: 8px 14px; background: #1d2430; color: #fff; }
  header h1 { font-size: 15px; margin: 0; }
  #conn.up { color: #7ee787; } #conn.down { color: #ff7b72; }
  main { display: grid; grid-template-columns: minmax(260px, 1fr) 2fr; grid-template-rows: 1fr 260px; gap: 8px; padding: 8px; height: calc(100vh - 52px); box-sizing: border-box; }
  section { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; overflow: auto; padding: 8px; }
  #tree { grid-row: 1 / 3; }
  h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: #57606a; margin: 0 0 6px; }
  ul { list-style: none; margin: 0; padding-left: 14px; } #actors > ul { padding-left: 0; }
  .actor { padding: 3px 6px; border-radius: 4px; cursor: pointer; }
  .actor:hover { background: #eef1f4; } .actor.selected { background: #ddf4ff; }
  .actor .name { font-weight: 600; } .actor .machine { color: #8c959f; font-size: 11px; }
  .actor .state { font-family: ui-monospace, monospace; color: #0969da; }
  .actor .summary { color: #57606a; font-size: 11px; font-family: ui-monospace, monospace; }
  .diagram .st { border: 1px solid #afb8c1; border-radius: 8px; padding: 4px 8px; margin: 4px; background: #fff; display: inline-block; vertical-align: top; min-width: 90px; }
  .diagram .st.final { border-style: double; border-width: 3px; }
  .diagram .st.parallel > .children { display: flex; gap: 6px; }
  .diagram .st.parallel > .children > .st { border-style: dashed; }
  .diagram .st.active { border-color: #1a7f37; background: #dafbe1; box-shadow: 0 0 0 2px #1a7f37; }
  .diagram .st.active.leaf { background: #aceebb; }
  .diagram .key { font-weight: 600; } .diagram .initial::before { content: '\\25CF '; color: #57606a; font-size: 9px; }
  .diagram .tr { font-size: 11px; color: #57606a; font-family: ui-monospace, monospace; white-space: nowrap; }
  .diagram .children { display: block; }
  #log { display: flex; flex-direction: column; overflow: hidden; }
  #log .rows { overflow: auto; flex: 1; }
  #log table { border-collapse: collapse; width: 100%; font-family: ui-monospace, monospace; font-size: 11px; }
  #log td { padding: 1px 6px; border-bottom: 1px solid #eef1f4; white-space: nowrap; }
  #log .controls { display: flex; gap: 8px; margin-bottom: 6px; }
  #dropped { color: #8c959f; }
</style>
</head>
<body>
<header><h1>monasca-persister</h1><span>supervisor: <b id="supervisor">?</b></span><span id="conn" class="down">connecting</span></header>
<main>
  <section id="tree"><h2>Actors</h2><div id="actors"></div></section>
  <section id="machine"><h2 id="machine-title">State machine</h2><div id="diagram" class="diagram"></div></section>
  <section id="log"><h2>Events</h2>
    <div class="controls"><select id="filter"><option value="">all actors</option></select><input id="search" placeholder="event type contains"><span id="dropped"></span></div>
    <div class="rows" id="rows"><table><tbody id="events"></tbody></table></div>
  </section>
</main>
<script>
'use strict';
const actors = new Map();
let machines = {};
let events = [];
let dropped = 0;
let selected = null;
const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
};

/** Active state paths of a state value: 'a', {a: 'b'} -> ['a', 'a.b'], parallel {x: 'y', z: 'w'}. */
function activePaths(value, prefix = '') {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [prefix + value];
  return Object.entries(value).flatMap(([k, v]) => [prefix + k, ...activePaths(v, prefix + k + '.')]);
}
function stateText(value) {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  return Object.entries(value).map(([k, v]) => typeof v === 'string' ? k + '.' + v : k + ' (' + stateText(v) + ')').join(', ');
}

function renderTree() {
  const children = new Map();
  for (const a of actors.values()) {
    const p = a.parent && actors.has(a.parent) ? a.parent : '';
    if (!children.has(p)) children.set(p, []);
    children.get(p).push(a);
  }
  const list = (parent) => {
    const ul = el('ul');
    for (const a of children.get(parent) || []) {
      const summary = Object.entries(a.summary).map(([k, v]) => k + '=' + v).join(' ');
      const row = el('div', { class: 'actor' + (a.key === selected ? ' selected' : ''), 'data-actor': a.name, 'data-key': a.key },
        el('span', { class: 'name' }, a.name), ' ', el('span', { class: 'machine' }, a.machine ? a.machine + (a.thread ? ' (thread ' + a.thread + ')' : '') : ''), ' ',
        el('span', { class: 'state' }, stateText(a.value)), el('div', { class: 'summary' }, summary));
      row.onclick = () => { selected = a.key; render(); };
      const li = el('li', {}, row);
      if (children.has(a.key)) li.append(list(a.key));
      ul.append(li);
    }
    return ul;
  };
  $('actors').replaceChildren(list(''));
  const names = [...new Set([...actors.values()].map((a) => a.name))].sort();
  const filter = $('filter');
  const current = filter.value;
  filter.replaceChildren(el('option', { value: '' }, 'all actors'), ...names.map((n) => el('option', { value: n }, n)));
  filter.value = current;
}

function renderDiagram() {
  const a = actors.get(selected);
  const tree = a && machines[a.machine];
  $('machine-title').textContent = a ? 'State machine: ' + a.machine + ' (' + a.name + ')' : 'State machine';
  if (!tree) { $('diagram').replaceChildren(a ? 'not a state machine' : 'select an actor'); return; }
  const active = new Set(activePaths(a.value));
  const box = (node, path, initial) => {
    const leaf = node.states.length === 0;
    const on = active.has(path);
    const d = el('div', { class: 'st ' + node.type + (on ? ' active' : '') + (on && leaf ? ' leaf' : ''), 'data-path': path });
    d.append(el('div', { class: 'key' + (initial ? ' initial' : '') }, node.key));
    for (const t of node.on) d.append(el('div', { class: 'tr' }, '\\u2192 ' + t.target + (t.label ? '  ' + t.label : '')));
    if (!leaf) d.append(el('div', { class: 'children' }, ...node.states.map((c) => box(c, path ? path + '.' + c.key : c.key, node.type !== 'parallel' && node.initial === c.key))));
    return d;
  };
  const root = el('div', { class: 'st compound root', 'data-path': '' }, el('div', { class: 'key' }, tree.key));
  for (const t of tree.on) root.append(el('div', { class: 'tr' }, 'in any state \\u2192 ' + t.target + '  ' + t.label));
  root.append(el('div', { class: 'children' }, ...tree.states.map((c) => box(c, c.key, tree.initial === c.key))));
  $('diagram').replaceChildren(root);
}

function renderEvents() {
  const name = $('filter').value;
  const text = $('search').value;
  const rows = events.filter((e) => (!name || e.name === name || e.source === name) && (!text || e.type.includes(text))).slice(-200);
  $('events').replaceChildren(...rows.map((e) => el('tr', { 'data-type': e.type },
    el('td', {}, new Date(e.at).toISOString().slice(11, 23)), el('td', {}, (e.source || '') + ' \\u2192 ' + e.name), el('td', {}, e.type))));
  $('dropped').textContent = dropped ? dropped + ' events not shown (sampled)' : '';
  const rowsBox = $('rows');
  rowsBox.scrollTop = rowsBox.scrollHeight;
}

function render() {
  const sup = [...actors.values()].find((a) => a.machine === 'supervisor');
  $('supervisor').textContent = sup ? stateText(sup.value) : '?';
  if (!actors.has(selected) && sup) selected = sup.key;
  renderTree();
  renderDiagram();
  renderEvents();
}

function apply(batch) {
  for (const a of batch.actors) a.status === 'active' ? actors.set(a.key, a) : actors.delete(a.key);
  events.push(...batch.events);
  if (events.length > 1000) events = events.slice(-1000);
  dropped += batch.dropped || 0;
}

$('filter').onchange = renderEvents;
$('search').oninput = renderEvents;
const source = new EventSource('inspector/events');
source.addEventListener('hello', (m) => {
  const data = JSON.parse(m.data);
  machines = data.machines;
  actors.clear();
  events = [];
  apply({ actors: data.actors, events: data.events, dropped: 0 });
  $('conn').textContent = 'live'; $('conn').className = 'up';
  render();
});
source.addEventListener('update', (m) => { apply(JSON.parse(m.data)); render(); });
source.onerror = () => { $('conn').textContent = 'disconnected, retrying'; $('conn').className = 'down'; };
</script>
</body>
</html>
`;
