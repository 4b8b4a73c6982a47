// The console's shell: navigation, a hash router, sign-out. Every view polls the admin API while shown.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { Overview } from './overview.js';
import { Run, Runs } from './runs.js';
import { ParkedMessages, Parked } from './parked.js';
import { Sessions } from './sessions.js';
import { Webhooks } from './webhooks.js';

const VIEWS = [
  ['overview', 'Overview'],
  ['runs', 'Runs'],
  ['parked', 'Parked'],
  ['sessions', 'Sessions'],
  ['webhooks', 'Webhooks & tools'],
];

function route() {
  const [path, query = ''] = window.location.hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return {
    view: parts[0] || 'overview',
    id: parts[1],
    params: Object.fromEntries(new URLSearchParams(query)),
  };
}

function View({ view, id, params }) {
  if (view === 'runs') return id ? html`<${Run} id=${id} />` : html`<${Runs} />`;
  if (view === 'parked')
    return id ? html`<${ParkedMessages} queue=${id} params=${params} />` : html`<${Parked} />`;
  if (view === 'sessions') return html`<${Sessions} />`;
  if (view === 'webhooks') return html`<${Webhooks} />`;
  return html`<${Overview} />`;
}

function App() {
  const [current, setCurrent] = useState(route());
  useEffect(() => {
    const onHash = () => setCurrent(route());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return html`<header>
      <strong>waggle console</strong>
      <nav>
        ${VIEWS.map(
          ([name, label]) =>
            html`<a href=${`#/${name}`} data-nav=${name} class=${current.view === name ? 'active' : ''}
              >${label}</a
            >`,
        )}
      </nav>
      <form method="post" action="/console/logout"><button type="submit">Sign out</button></form>
    </header>
    <main data-current=${current.view}>
      <${View} key=${`${current.view}/${current.id ?? ''}`} ...${current} />
    </main>`;
}

const root = document.getElementById('app');
root.replaceChildren(); // the "Loading…" the page shows until this script runs
render(html`<${App} />`, root);
