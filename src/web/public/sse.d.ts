// Types of sse.js.
export interface SseMessage {
  event: string;
  id: string | undefined;
  data: string;
}
export interface SseParser {
  push(chunk: string): void;
  readonly lastEventId: string | undefined;
  readonly retry: number | undefined;
}
export function createSseParser(onMessage: (msg: SseMessage) => void, onComment?: (text: string) => void): SseParser;
export interface EventHandlers {
  token(): string;
  epoch(): string | undefined;
  onMessage(msg: SseMessage): void;
  onStatus(status: 'connecting' | 'live' | 'offline'): void;
  onUnauthorized(): void;
}
export function connectEvents(url: string, handlers: EventHandlers, staleMs?: number): () => void;
