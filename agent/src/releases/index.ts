/** The release pipeline of the agent: stage, list, clean up and prune WordPress core releases. */
export {
  stageRelease,
  utcStamp,
  STAGE_KILL_POINTS,
  type StageContext,
  type StageRequest,
  type StagedRelease,
} from './stage.js';
export {
  listReleases,
  readRelease,
  findReleaseByDigest,
  resolveReleaseRef,
  isCompleteRelease,
  linkedReleaseIds,
  releaseDirectories,
  type ReleaseInfo,
} from './catalog.js';
export { cleanupStaging } from './cleanup.js';
export { requireCurrentRelease } from './current.js';
export { pruneReleases, type PruneOptions, type PruneResult } from './prune.js';
export { RELEASE_MARKER, readReleaseMarker, stagedReleaseSchema, type ReleaseMarker } from './marker.js';
export { confineToMirrorDir } from './mirror-dir.js';
export { classifySource, resolveSource, type ResolvedSource, type SourceContext, type SourceLocation } from './source.js';
export { extractArchive, type ExtractLimits, type ExtractRequest, type ExtractResult } from './extract.js';
export { ARCHIVE_TOP_DIR, ENTRY_RULE, type EntryRule } from './entry-rules.js';
export {
  hashArchive,
  verifyDigest,
  verifyCoreFiles,
  readCoreVersion,
  readVersionFile,
  REQUIRED_CORE_PATHS,
  type ArchiveHashes,
  type CoreVersion,
} from './verify.js';
export { removeTree } from './tree.js';
