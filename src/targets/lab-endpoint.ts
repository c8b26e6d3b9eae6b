// Against the local lab, the inventory's STNS endpoint must be the lab's own STNS server: when it is not, every
// host's lookups fail alike and verify reports each user on each host as failed, which hides the one cause. The
// session asks the lab (GET /_lab/info on the AWS_ENDPOINT_URL, its `stnsUrl`) and compares with this. Pure.

/** One spelling per endpoint: scheme and host in lower case, `localhost` as 127.0.0.1 (the lab listens there and
 * its hosts resolve either to it), the default port made explicit, no trailing slash. */
function normalized(url: string): string {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return url.trim();
  }
  const host = u.hostname.toLowerCase() === 'localhost' ? '127.0.0.1' : u.hostname.toLowerCase();
  const port = u.port || (u.protocol === 'https:' ? '443' : u.protocol === 'http:' ? '80' : '');
  return `${u.protocol}//${host}:${port}${u.pathname.replace(/\/+$/, '')}${u.search}`;
}

/** The message naming the inventory's api_endpoint(s) that are not the lab's STNS server, or undefined when every
 * one is (or the inventory names none). `inventoryEndpoints`: the top-level stns.api_endpoint and the groups'. */
export function labEndpointMismatch(inventoryEndpoints: string[], labStnsUrl: string): string | undefined {
  const lab = normalized(labStnsUrl);
  const wrong = [...new Set(inventoryEndpoints)].filter((e) => normalized(e) !== lab);
  if (wrong.length === 0) return undefined;
  return (
    `the inventory's api_endpoint is not the lab's STNS server at ${labStnsUrl}: it names ${wrong.join(', ')}; ` +
    `start the lab with --write-inventory FILE and use that file, or set stns.api_endpoint to ${labStnsUrl}`
  );
}
