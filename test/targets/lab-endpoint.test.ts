// labEndpointMismatch: an inventory pointed at another STNS server than the lab's is named once, as such.
import { describe, expect, test } from 'vitest';
import { labEndpointMismatch } from '../../src/targets/lab-endpoint.js';

const LAB = 'http://127.0.0.1:4711/v1';

describe('labEndpointMismatch', () => {
  test('the same server, however spelled, is no mismatch', () => {
    expect(labEndpointMismatch([LAB], LAB)).toBeUndefined();
    expect(labEndpointMismatch(['http://127.0.0.1:4711/v1/', 'HTTP://LOCALHOST:4711/v1'], LAB)).toBeUndefined();
    expect(labEndpointMismatch(['http://127.0.0.1/v1'], 'http://127.0.0.1:80/v1')).toBeUndefined();
    expect(labEndpointMismatch([], LAB)).toBeUndefined(); // nothing named, nothing to compare
  });

  test('another port names the lab server and what the inventory says, with the way out', () => {
    expect(labEndpointMismatch(['http://127.0.0.1:4567/v1'], LAB)).toBe(
      "the inventory's api_endpoint is not the lab's STNS server at http://127.0.0.1:4711/v1: it names http://127.0.0.1:4567/v1; " +
        'start the lab with --write-inventory FILE and use that file, or set stns.api_endpoint to http://127.0.0.1:4711/v1',
    );
  });

  test('only the endpoints that differ are listed, each once; path, scheme and host count', () => {
    const m = labEndpointMismatch([LAB, 'http://127.0.0.1:4567/v1', 'http://127.0.0.1:4567/v1', 'https://127.0.0.1:4711/v1', 'http://127.0.0.1:4711', 'http://10.0.0.5:4711/v1'], LAB);
    expect(m).toMatch(/: it names http:\/\/127\.0\.0\.1:4567\/v1, https:\/\/127\.0\.0\.1:4711\/v1, http:\/\/127\.0\.0\.1:4711, http:\/\/10\.0\.0\.5:4711\/v1; start/);
    expect(labEndpointMismatch(['not a url'], LAB)).toMatch(/it names not a url;/);
  });
});
