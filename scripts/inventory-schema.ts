// `npm run build`, after tsc: writes schema/inventory.schema.json, the inventory's JSON Schema
// (src/inventory/json-schema.ts), which the package ships for editors (inventories point at it with a
// `# yaml-language-server: $schema=…` line). Node runs this file as it is; the schema comes from dist/, since
// src/'s `.js` import specifiers resolve only once compiled.
//   node scripts/inventory-schema.ts [OUT_DIR]      (default: schema/)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = pathToFileURL(path.join(repo, 'dist', 'inventory', 'json-schema.js')).href;
const { INVENTORY_SCHEMA_FILE, inventoryJsonSchema } = (await import(built)) as typeof import('../src/inventory/json-schema.ts');

const outDir = path.resolve(process.argv[2] ?? path.join(repo, 'schema'));
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, INVENTORY_SCHEMA_FILE), `${JSON.stringify(inventoryJsonSchema(), null, 2)}\n`);
