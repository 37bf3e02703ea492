import { readFile } from 'node:fs/promises';
import { ConfigError, printable, UsageError, validateConfig } from '@wofleet/shared';
import { parse as parseCsv } from 'csv-parse/sync';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { checkLabels, parseLabelFlags, parseServerAddress, parseServerName } from '../servers/input.js';

/**
 * The servers `servers add --from-file` registers, from YAML or CSV (by the file's
 * extension: .csv is CSV, anything else YAML):
 *
 *   servers:                                name,address,labels,canary
 *     - name: web-1                         web-1,10.0.0.1:7443,region=eu;tier=web,yes
 *       address: 10.0.0.1:7443              web-2,10.0.0.2:7443,,
 *       labels: {region: eu}
 *       canary: true
 *
 * Every entry is checked (name, address, labels, a name given twice) before anything
 * is sent: a mistake anywhere in the file adds no server.
 */
export interface ServerToAdd {
  name: string;
  address: string;
  labels: Record<string, string>;
  canary: boolean;
}

const entrySchema = z.strictObject({
  name: z.string(),
  address: z.string(),
  labels: z.record(z.string(), z.string()).optional(),
  canary: z.boolean().optional(),
});
const yamlSchema = z.strictObject({ servers: z.array(entrySchema).min(1) });
const csvRowSchema = z.strictObject({
  name: z.string(),
  address: z.string(),
  labels: z.string().optional(),
  canary: z.enum(['', 'yes', 'no', 'true', 'false']).optional(),
});

export async function readServerListFile(file: string): Promise<ServerToAdd[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--from-file ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  const entries = file.toLowerCase().endsWith('.csv') ? csvEntries(file, text) : yamlEntries(file, text);
  const seen = new Set<string>();
  return entries.map((entry, i) => {
    const where = `--from-file ${file}: server ${i + 1}`;
    try {
      const server = {
        name: parseServerName(entry.name),
        address: parseServerAddress(entry.address),
        labels: checkLabels(entry.labels ?? {}),
        canary: entry.canary ?? false,
      };
      if (seen.has(server.name)) throw new UsageError(`server '${server.name}' is listed twice`);
      seen.add(server.name);
      return server;
    } catch (err) {
      throw new UsageError(`${where}: ${(err as Error).message}`, { cause: err });
    }
  });
}

function yamlEntries(file: string, text: string): z.output<typeof entrySchema>[] {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`--from-file ${file}: not valid YAML (${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
  return validateConfig(`--from-file ${file}`, data, yamlSchema).servers;
}

function csvEntries(file: string, text: string): z.output<typeof entrySchema>[] {
  let rows: unknown[];
  try {
    rows = parseCsv(text, { columns: true, trim: true, skip_empty_lines: true, comment: '#' });
  } catch (err) {
    throw new UsageError(`--from-file ${file}: not valid CSV (${printable((err as Error).message)})`, { cause: err });
  }
  if (rows.length === 0)
    throw new UsageError(`--from-file ${file}: no servers (a header line name,address[,labels][,canary] and one line per server)`);
  return rows.map((raw, i) => {
    const row = validateConfig(`--from-file ${file}: line ${i + 2}`, raw, csvRowSchema);
    const labelList = row.labels
      ? row.labels
          .split(';')
          .map((l) => l.trim())
          .filter((l) => l !== '')
      : [];
    return {
      name: row.name,
      address: row.address,
      labels: parseLabelFlags(labelList),
      canary: row.canary === 'yes' || row.canary === 'true',
    };
  });
}
