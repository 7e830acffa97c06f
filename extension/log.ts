import * as vscode from 'vscode';
import type { Logger } from './core/logger.js';
import { OUTPUT_CHANNEL_NAME } from './core/commandIds.js';

/** The Logger on a LogOutputChannel (levels, timestamps and filtering come from VS Code). */
export class OutputLogger implements Logger, vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;

  constructor() {
    this.channel = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  }

  trace(message: string): void {
    this.channel.trace(message);
  }

  debug(message: string): void {
    this.channel.debug(message);
  }

  info(message: string): void {
    this.channel.info(message);
  }

  warn(message: string): void {
    this.channel.warn(message);
  }

  error(message: string, error?: unknown): void {
    if (error === undefined) this.channel.error(message);
    else if (error instanceof Error) this.channel.error(`${message}: ${error.stack ?? error.message}`);
    else this.channel.error(`${message}: ${String(error)}`);
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
