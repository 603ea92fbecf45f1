/**
 * Writes .gitlab-ci.yml from the app's stacks (npm run pipeline). Run it after
 * adding or removing a stack; a test fails while the file is out of date.
 *
 * The stacks are those of the default config and sites catalog, whatever
 * PLATFORM_CONFIG and SITES_CATALOG say here: the file is committed, and the
 * test that checks it builds the same app.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdktf';
import { loadPlatformConfig } from '../lib/config';
import { pipelineStacks, renderGitlabPipeline } from '../lib/delivery/gitlab-ci';
import { catalogOptionsOf, loadSitesCatalog } from '../lib/sites/catalog';
import { buildPlatform } from '../stacks';

const { config } = loadPlatformConfig({});
const { catalog } = loadSitesCatalog(catalogOptionsOf(config), {});
// Nothing is synthesized: the app is only built to list its stacks.
const app = new App({ stackTraces: false, outdir: path.join(require('node:os').tmpdir(), 'pipeline-unused') });
buildPlatform(app, config, catalog);
const file = path.join(__dirname, '..', '.gitlab-ci.yml');
writeFileSync(file, renderGitlabPipeline(pipelineStacks(app)));
console.log(`wrote ${path.relative(process.cwd(), file)}`);
