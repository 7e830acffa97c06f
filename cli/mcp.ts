import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { CommandKit } from './embed.js';
import { boundHeapGrowthForIndexing } from './heapGrowth.js';

/** `codegraph mcp`: the MCP server on stdio (mcp/). */
export function addMcpCommand(program: Command, kit: CommandKit): void {
  kit
    .addCommon(program.command('mcp').description('serve the index to AI agents over the Model Context Protocol (stdio), keeping it live while it runs'))
    .option('--dir <dir>', 'workspace directory', '.')
    .action(async (options: { dir: string }) => {
      // The server indexes the workspace and keeps it live, as `codegraph watch` does.
      boundHeapGrowthForIndexing();
      // Loaded here, not with the CLI: the SDK and zod would add to every other command's start-up.
      const { runMcpServer } = require('../mcp/server.js') as typeof import('../mcp/server.js');
      await runMcpServer({ input: kit.engineInput(resolve(options.dir), options as never), log: (message) => process.stderr.write(`codegraph mcp: ${message}\n`) });
    });
}
