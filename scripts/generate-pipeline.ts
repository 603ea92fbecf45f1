/**
 * Writes the pipeline (npm run pipeline).
 *
 *   npm run pipeline                       .gitlab-ci.yml from the app's stacks; run it after adding or
 *                                          removing a stack; a test fails while the file is out of date
 *   npm run pipeline -- --sites cdktf.out  the sites pipelines of the stacks synthesized there (the synth
 *                                          job runs it): <outdir>/ci/sites-<env>.yml, one plan and one
 *                                          apply job per shard, and each shard's applied-digest root
 *
 * .gitlab-ci.yml is made from the default config and sites catalog, whatever
 * PLATFORM_CONFIG and SITES_CATALOG say here: the file is committed, and the
 * test that checks it builds the same app. The sites pipelines are made from
 * the synthesized manifest, so they have the shards of the catalog CI uses.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { environmentPolicies, loadPlatformConfig } from '../lib/config';
import { appliedRecordDir, appliedRecordRoot, renderSitesPipeline, sitesPipelineFile, sitesShardsOf } from '../lib/delivery/gitlab-ci';

function writeSitesPipelines(outdir: string): void {
  const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
  // The config CI synthesized with (PLATFORM_CONFIG): which environments take sites, and which apply by hand.
  const environments = environmentPolicies(loadPlatformConfig().config);
  const shards = sitesShardsOf(manifest, environments);
  for (const site of environments.filter((e) => e.role === 'sites')) {
    const environment = site.name;
    const file = path.join(outdir, sitesPipelineFile(environment));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, renderSitesPipeline(site, shards[environment]));
    for (const stack of shards[environment]) {
      const json = JSON.parse(readFileSync(path.join(outdir, manifest.stacks[stack].synthesizedStackPath), 'utf8'));
      const dir = path.join(outdir, appliedRecordDir(stack));
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'main.tf.json'), `${JSON.stringify(appliedRecordRoot(json, stack), null, 2)}\n`);
    }
    console.log(`wrote ${path.relative(process.cwd(), file)} (${shards[environment].length} shards)`);
  }
}

function writeParentPipeline(): void {
  // Loaded here only: the sites mode runs in the synth job and needs no app.
  const { App } = require('cdktf') as typeof import('cdktf');
  const { pipelineStacks, renderGitlabPipeline } = require('../lib/delivery/gitlab-ci') as typeof import('../lib/delivery/gitlab-ci');
  const { catalogOptionsOf, loadSitesCatalog } = require('../lib/sites/catalog') as typeof import('../lib/sites/catalog');
  const { buildPlatform } = require('../stacks') as typeof import('../stacks');
  const { config } = loadPlatformConfig({});
  const { catalog } = loadSitesCatalog(catalogOptionsOf(config), {});
  // Nothing is synthesized: the app is only built to list its stacks.
  const app = new App({ stackTraces: false, outdir: path.join(require('node:os').tmpdir(), 'pipeline-unused') });
  buildPlatform(app, config, catalog);
  const file = path.join(__dirname, '..', '.gitlab-ci.yml');
  const environments = environmentPolicies(config);
  writeFileSync(file, renderGitlabPipeline(environments, pipelineStacks(app, environments)));
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

const args = process.argv.slice(2);
if (args.length === 0) writeParentPipeline();
else if (args[0] === '--sites' && args.length === 2) writeSitesPipelines(args[1]);
else {
  console.error(`generate-pipeline: unknown arguments ${args.join(' ')}; use no argument (.gitlab-ci.yml) or --sites <outdir>`);
  process.exit(2);
}
