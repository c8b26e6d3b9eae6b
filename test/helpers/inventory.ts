// The top of a minimal valid inventory, for tests that only care about their groups.
export const INVENTORY_HEAD = ['version: 1', 'aws:', '  region: ap-northeast-1', 'stns:', '  api_endpoint: https://stns.example.com/v1', 'groups:'];
