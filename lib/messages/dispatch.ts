import type { AnyMessage, MessageHandler, Reply } from './types';

/**
 * The registered handlers. User messages go to the `onMessage` handlers; an event to the handlers
 * of its type, then to those of `'*'`. Within that list, in registration order, the first handler
 * that returns a reply ends the chain; one that returns nothing passes the message on.
 */
export class HandlerChain {
  private readonly messageHandlers: MessageHandler[] = [];
  private readonly eventHandlers = new Map<string, MessageHandler[]>();

  addMessageHandler(handler: MessageHandler): void {
    this.messageHandlers.push(checked(handler));
  }

  addEventHandler(type: string, handler: MessageHandler): void {
    if (typeof type !== 'string' || !type) throw new TypeError('onEvent(type, handler): type must be an event name or "*"');
    const list = this.eventHandlers.get(type) ?? [];
    list.push(checked(handler));
    this.eventHandlers.set(type, list);
  }

  /** Whether any handler would see `message` (else nothing needs to run or be remembered). */
  handles(message: AnyMessage): boolean {
    return this.handlersOf(message).length > 0;
  }

  /** Run the chain; resolves with the first reply, or undefined. */
  async run(message: AnyMessage): Promise<Reply | undefined> {
    for (const handler of this.handlersOf(message)) {
      const reply = await handler(message);
      if (reply !== undefined && reply !== null) return reply;
    }
    return undefined;
  }

  private handlersOf(message: AnyMessage): MessageHandler[] {
    if (message.msgType !== 'event') return this.messageHandlers;
    const event = typeof message.event === 'string' ? message.event : '';
    return [...(this.eventHandlers.get(event) ?? []), ...(this.eventHandlers.get('*') ?? [])];
  }
}

function checked(handler: MessageHandler): MessageHandler {
  if (typeof handler !== 'function') throw new TypeError('a message handler must be a function');
  return handler;
}
