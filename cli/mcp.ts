import { resolve } from 'node:path';
import type { Command } from 'commander';
import { runMcpServer } from '../mcp/server.js';
import type { CommandKit } from './embed.js';

/** `codegraph mcp`: the MCP server on stdio (mcp/). */
export function addMcpCommand(program: Command, kit: CommandKit): void {
  kit
    .addCommon(program.command('mcp').description('serve the index to AI agents over the Model Context Protocol (stdio), keeping it live while it runs'))
    .option('--dir <dir>', 'workspace directory', '.')
    .action(async (options: { dir: string }) => {
      await runMcpServer({ input: kit.engineInput(resolve(options.dir), options as never), log: (message) => process.stderr.write(`codegraph mcp: ${message}\n`) });
    });
}
