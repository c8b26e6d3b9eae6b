// The inventory's JSON Schema, generated from the zod schema (the input side: what may be written, defaults
// included as `default`). Editors use it (schema/inventory.schema.json, written at build time by
// scripts/inventory-schema.ts); issues.ts reads the keys each mapping accepts from it, for did-you-mean.
// It describes the shape only: the checks zod runs in code (a URL that parses, http only with the opt-in, a host
// listed once, …) are `stns-fleet validate`'s.

import * as z from 'zod';
import { InventorySchema } from './schema.js';

/** The file name the schema is published under; inventories point at it with a yaml-language-server comment. */
export const INVENTORY_SCHEMA_FILE = 'inventory.schema.json';

let cached: z.core.JSONSchema.JSONSchema | undefined;

export function inventoryJsonSchema(): z.core.JSONSchema.JSONSchema {
  if (cached === undefined) {
    const { $schema, ...shape } = z.toJSONSchema(InventorySchema, { io: 'input' });
    cached = {
      $schema,
      $id: INVENTORY_SCHEMA_FILE,
      title: 'stns-fleet inventory',
      description:
        'An stns-fleet inventory, format version 1: the AWS region, how hosts reach the STNS server, and the groups of hosts to make STNS clients. Check a file with: stns-fleet validate -i FILE',
      ...shape,
    };
  }
  return cached;
}
