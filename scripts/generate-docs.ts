/** Brings README.md's generated sections up to date (`npm run docs`); a unit test fails while they are stale. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedReadme } from './docs/readme';

const file = join(__dirname, '..', 'README.md');
writeFileSync(file, generatedReadme(readFileSync(file, 'utf8')));
console.log('updated README.md');
