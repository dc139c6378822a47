// The dashboard's entry: signing in with a read key, the views of a signed-in session, and the live stream.

import 'uplot/dist/uPlot.min.css';
import './styles.css';

import { AlertsView } from './alerts';
import { Api, ApiError } from './api';
import type { SessionContext } from './context';
import { byId, notify, show } from './dom';
import { EventDetail, ExplorerView } from './events';
import { LiveStream, type LiveState } from './live';
import { OverviewView } from './overview';
import { parseRoute } from './routes';
import type { Overview } from './types';
import { UsageView } from './usage';
import { UserView } from './users';

// Session storage: the key lives as long as this tab and is never written to a URL or to disk for good.
const KEY_STORAGE = 'telemetry.readKey';

// The dashboard is served at <gateway>/dashboard/: the API is its parent, wherever the gateway is mounted.
const apiBase = new URL('../', location.href);

function describeRefusal(error: unknown): string {
  if (!(error instanceof ApiError)) return `Something went wrong: ${error instanceof Error ? error.message : String(error)}`;
  switch (error.status) {
    case 401: return 'This key was refused (401 Unauthorized): it is unknown or has been revoked. Paste a current read key.';
    case 403: return 'This key cannot read metrics (403 Forbidden): use a key with the read scope.';
    case 0: return 'The gateway could not be reached. Check that it is running, then try again.';
    default: return `The gateway answered ${error.status}: ${error.message}`;
  }
}

/** Everything that exists while a key is signed in; ended by sign-out or a refused key. */
class SignedInSession implements SessionContext {
  private readonly lifetime = new AbortController();
  readonly signal = this.lifetime.signal;
  private readonly overview: OverviewView;
  private readonly explorer: ExplorerView;
  private readonly users: UserView;
  private readonly alerts: AlertsView;
  private readonly usage: UsageView;
  private readonly live: LiveStream;

  constructor(readonly api: Api, private readonly onEnd: (message: string | null) => void) {
    this.overview = new OverviewView(this);
    this.explorer = new ExplorerView(this);
    this.users = new UserView(this);
    this.alerts = new AlertsView(this);
    this.usage = new UsageView(this);
    new EventDetail(this);
    this.live = new LiveStream(api, {
      metrics: metrics => {
        this.overview.live(metrics);
        this.explorer.live();
        this.users.live();
        this.alerts.live();
        this.usage.live();
        this.explorer.suggestTypes(metrics.categories.map(c => c.type));
      },
      heartbeat: () => this.overview.tick(),
      state: state => this.showLiveState(state),
      rejected: error => this.end(describeRefusal(error)),
    });
    window.addEventListener('hashchange', () => this.route(), { signal: this.signal });
    byId('sign-out').addEventListener('click', () => this.end(null), { signal: this.signal });
    byId('reconnect-now').addEventListener('click', () => this.live.reconnectNow(), { signal: this.signal });
    for (const id of ['nav', 'live-indicator', 'sign-out']) show(byId(id), true);
    show(byId('sign-in-view'), false);
    this.route();
    this.live.start();
  }

  failed(error: unknown): void {
    if (error instanceof ApiError && error.rejectsKey) this.end(describeRefusal(error));
    else notify(byId('app-error'), `${describeRefusal(error)} The page retries with the next update.`);
  }

  recovered(): void {
    notify(byId('app-error'), null);
  }

  end(message: string | null): void {
    if (this.signal.aborted) return;
    this.lifetime.abort();
    this.live.stop();
    for (const id of ['nav', 'live-indicator', 'sign-out', 'overview-view', 'events-view', 'users-view', 'usage-view', 'alerts-view', 'connection-banner', 'app-error']) show(byId(id), false);
    this.onEnd(message);
  }

  private route(): void {
    const route = parseRoute(location.hash);
    show(byId('overview-view'), route.view === 'overview');
    show(byId('events-view'), route.view === 'events');
    show(byId('users-view'), route.view === 'users');
    show(byId('usage-view'), route.view === 'usage');
    show(byId('alerts-view'), route.view === 'alerts');
    for (const link of byId('nav').querySelectorAll<HTMLAnchorElement>('a[data-route]')) {
      if (link.dataset['route'] === route.view) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    if (route.view === 'overview') this.overview.show(route.window);
    else this.overview.hide();
    if (route.view === 'events') this.explorer.show(route.filters);
    else this.explorer.hide();
    if (route.view === 'users') this.users.show(route.userId, route.window);
    else this.users.hide();
    if (route.view === 'usage') this.usage.show(route.span);
    else this.usage.hide();
    if (route.view === 'alerts') this.alerts.show();
    else this.alerts.hide();
    const titles = { overview: 'Overview', events: 'Events', users: 'Users', usage: 'Usage', alerts: 'Alerts' } as const;
    document.title = `${titles[route.view]} · Telemetry`;
  }

  private showLiveState(state: LiveState): void {
    const indicator = byId('live-indicator');
    indicator.dataset['state'] = state.kind;
    const labels = { connecting: 'Connecting…', live: 'Live', lost: 'Reconnecting…', stopped: 'Offline' } as const;
    byId('live-text').textContent = labels[state.kind];
    if (state.kind === 'lost') {
      const seconds = Math.max(1, Math.round((state.retryAt - Date.now()) / 1000));
      byId('connection-text').textContent = `Live updates paused: ${state.reason} Reconnecting automatically in about ${seconds} s (attempt ${state.attempt}).`;
      show(byId('connection-banner'), true);
    } else if (state.kind === 'live' || state.kind === 'stopped') {
      show(byId('connection-banner'), false);
    }
  }
}

function start(): void {
  const form = byId<HTMLFormElement>('sign-in-form');
  const input = byId<HTMLInputElement>('key-input');
  const submit = byId<HTMLButtonElement>('sign-in-submit');
  const error = byId('sign-in-error');

  const showSignIn = (message: string | null) => {
    show(byId('starting'), false);
    notify(error, message);
    show(byId('sign-in-view'), true);
    input.value = '';
    input.focus();
  };

  const signIn = async (key: string) => {
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    notify(byId('sign-in-status'), 'Checking the key…');
    const api = new Api(apiBase, key);
    try {
      // One read before anything else: a refused key gets its own clear message here.
      await api.get<Overview>('v1/metrics/overview', { window: '24h' });
    } catch (refusal) {
      sessionStorage.removeItem(KEY_STORAGE);
      showSignIn(describeRefusal(refusal));
      return;
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
      notify(byId('sign-in-status'), null);
    }
    sessionStorage.setItem(KEY_STORAGE, key);
    notify(error, null);
    show(byId('starting'), false);
    new SignedInSession(api, message => {
      sessionStorage.removeItem(KEY_STORAGE);
      showSignIn(message);
    });
  };

  form.addEventListener('submit', event => {
    event.preventDefault();
    const key = input.value.trim();
    if (key) void signIn(key);
    else notify(error, 'Paste a key first.');
  });

  const remembered = sessionStorage.getItem(KEY_STORAGE);
  if (remembered) void signIn(remembered);
  else showSignIn(null);
}

start();
