/**
 * Driving the VS Code workbench in Chromium with playwright-core: the command
 * palette, the status bar, quick picks, webviews, editors and hovers, as a
 * user would (keyboard and visible text), plus screenshots as artefacts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';

export const CHROMIUM = process.env['CODEGRAPH_E2E_CHROMIUM'] ?? '/usr/bin/chromium';

export class Workbench {
  private constructor(
    readonly browser: Browser,
    readonly page: Page,
    private readonly artifacts: string,
  ) {}

  static async open(url: string, folder: string, artifacts: string): Promise<Workbench> {
    mkdirSync(artifacts, { recursive: true });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    });
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    return new Workbench(browser, page, artifacts);
  }

  async close(): Promise<void> {
    await this.browser.close();
  }

  async screenshot(name: string, target?: { selector: string; frame?: Frame }): Promise<string> {
    const path = join(this.artifacts, `${name}.png`);
    if (target) await (target.frame ?? this.page).locator(target.selector).first().screenshot({ path });
    else await this.page.screenshot({ path });
    return path;
  }

  /**
   * Runs a command by its palette title ("CodeGraph: Reindex Workspace"). The palette is opened
   * again when its input does not take the text: right after a webview or another quick pick
   * closes, the workbench can leave the new input inert for a moment (seen once in CI, where a
   * single attempt then waited out its whole timeout).
   */
  async runCommand(title: string): Promise<void> {
    const attempts = 3;
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press('Escape');
      await this.page.keyboard.press('Control+Shift+P');
      const input = this.page.locator('.quick-input-widget input[type="text"], .quick-input-widget .quick-input-box input').first();
      try {
        await input.waitFor({ state: 'visible', timeout: 15_000 });
        await input.fill(`>${title}`, { timeout: 8_000 });
        const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
        await row.waitFor({ state: 'visible', timeout: 15_000 });
      } catch (error) {
        if (attempt >= attempts) throw error;
        await this.page.waitForTimeout(500);
        continue;
      }
      await this.page.keyboard.press('Enter');
      return;
    }
  }

  /** Opens a file by quick open, optionally at `line`. */
  async openFile(relativePath: string, line?: number): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget input').first();
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill(relativePath);
    const name = relativePath.split('/').pop()!;
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 15_000 });
    await this.page.keyboard.press('Enter');
    await this.activeTab(name);
    if (line !== undefined) await this.goToLine(line);
  }

  async goToLine(line: number): Promise<void> {
    await this.page.keyboard.press('Control+G');
    const input = this.page.locator('.quick-input-widget input').first();
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill(`:${line}`);
    await this.page.keyboard.press('Enter');
  }

  /** Waits until the active editor tab shows `fileName`. */
  async activeTab(fileName: string, timeout = 20_000): Promise<void> {
    await this.page.locator('.tabs-container .tab.active', { hasText: fileName }).first().waitFor({ state: 'visible', timeout });
  }

  /** The CodeGraph status bar item's text, once it matches `pattern`. */
  async waitForStatus(pattern: RegExp, timeout: number, failOn: RegExp = /CodeGraph: error/): Promise<string> {
    const item = this.page.locator('.statusbar-item', { hasText: /CodeGraph/ }).first();
    const deadline = Date.now() + timeout;
    let last = '';
    while (Date.now() < deadline) {
      last = (await item.textContent({ timeout: 2_000 }).catch(() => '')) ?? '';
      if (pattern.test(last)) return last.trim();
      if (failOn.test(last)) throw new Error(`Status bar shows '${last.trim()}' while waiting for ${pattern}; see the CodeGraph log in test-artifacts`);
      // Short enough to see transient states (a rebuild's progress) on a fast machine.
      await this.page.waitForTimeout(100);
    }
    throw new Error(`Status bar did not match ${pattern} within ${timeout} ms; last text: '${last.trim()}'`);
  }

  /** Drags the sash between the side bar and the editors so the side bar is `width` pixels wide. */
  async resizeSideBar(width: number): Promise<void> {
    const box = await this.page.locator('.part.sidebar').first().boundingBox();
    if (!box) throw new Error('The side bar is not visible');
    const y = box.y + box.height / 2;
    await this.page.mouse.move(box.x + box.width + 1, y);
    await this.page.mouse.down();
    await this.page.mouse.move(box.x + width, y, { steps: 8 });
    await this.page.mouse.up();
  }

  /**
   * Rows of the open quick pick, as text, once its title shows `title` and the
   * list has stopped changing (rows render and filter asynchronously).
   */
  async quickPickRows(title?: string): Promise<string[]> {
    if (title) await this.page.locator('.quick-input-widget .quick-input-title', { hasText: title }).first().waitFor({ state: 'visible', timeout: 20_000 });
    const rows = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    await rows.first().waitFor({ state: 'visible', timeout: 20_000 });
    let previous = '';
    for (let attempt = 0; attempt < 40; attempt++) {
      const current = await rows.allInnerTexts();
      if (current.length > 0 && current.join('\n') === previous) return current;
      previous = current.join('\n');
      await this.page.waitForTimeout(150);
    }
    return rows.allInnerTexts();
  }

  /** The frame of a webview whose document contains `selector` (webviews nest two iframes deep). */
  async webviewFrame(selector: string, timeout = 30_000): Promise<Frame> {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      for (const frame of this.page.frames()) {
        if (frame === this.page.mainFrame()) continue;
        if (await frame.locator(selector).count().catch(() => 0)) return frame;
      }
      await this.page.waitForTimeout(250);
    }
    throw new Error(`No webview with ${selector} appeared within ${timeout} ms`);
  }
}

/** Polls `read` until `accept` holds for its value; fails with the last value seen. */
export async function until<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeout: number, what: string): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`Timed out after ${timeout} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
}
