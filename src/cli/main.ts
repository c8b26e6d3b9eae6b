#!/usr/bin/env node
console.log('stns-fleet', process.version);
