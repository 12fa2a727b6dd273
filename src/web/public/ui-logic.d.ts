// Types of ui-logic.js (the UI ships plain ES modules; the unit tests import them through these declarations).
import type { AppState, AppStatus, RetryStatus, StateEvent } from '../../controller/types.js';
import type { LinkStatus } from '../../systemd/types.js';

export type UiAction = 'start' | 'stop' | 'restart' | 'install' | 'remove';

export interface PrimaryButton {
  action: 'install' | 'stop' | 'start' | null;
  label: string;
  spinner: boolean;
  disabled: boolean;
  showReason: boolean;
}

export interface Optimistic {
  action: UiAction;
  state: AppState;
  /** The seq of the click's 202 answer; undefined until it arrives. */
  afterSeq: number | undefined;
  /** The 202 answer's status (deadline etc.), once it arrived. */
  status: AppStatus | undefined;
}

export interface Entry {
  status: AppStatus;
  seq: number;
  optimistic: Optimistic | undefined;
}

export interface Model {
  epoch: string | undefined;
  entries: Record<string, Entry>;
}

export interface Snapshot {
  epoch: string;
  seq: number;
  apps: AppStatus[];
  /** The server's link to systemd (absent from a server that does not report it). */
  systemd?: LinkStatus;
}

/** What a card shows: an app status, or while systemd is unreachable the app with state `unknown`. */
export type ShownStatus = AppStatus | (Pick<AppStatus, 'id' | 'name' | 'unit' | 'since'> & { state: 'unknown' });

export interface LinkBanner {
  title: string;
  detail: string;
}

export const TRANSITIONAL_FOR: Readonly<Record<UiAction, AppState>>;
export const STATE_LABELS: Readonly<Record<AppState | 'unknown', string>>;
export function isTransitional(state: string): boolean;
export function primaryButton(state: AppState | 'unknown'): PrimaryButton;
export function restartVisible(state: AppState): boolean;
export function newEntry(status: AppStatus, seq: number): Entry;
export function applyServerStatus(entry: Entry, status: AppStatus, seq: number): Entry;
export function applyClick(entry: Entry, action: UiAction): Entry;
export function applyAccepted(entry: Entry, accepted: { seq: number; status: AppStatus }): Entry;
export function applyRejected(entry: Entry): Entry;
export function applyResync(entry: Entry, status: AppStatus, seq: number): Entry;
export function displayed(entry: Entry): AppStatus;
export function linkUp(link: LinkStatus | undefined): boolean;
export function shownStatus(entry: Entry, link: LinkStatus | undefined): ShownStatus;
export function linkBanner(link: LinkStatus | undefined, timeOf: (iso: string) => string): LinkBanner | undefined;
export function retryLine(retry: RetryStatus | undefined, timeOf: (iso: string) => string): string;
export function applySnapshot(model: Model, snapshot: Snapshot): Model;
export function applyEvent(model: Model, event: StateEvent): Model;
