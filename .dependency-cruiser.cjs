/**
 * Layering rules, checked by `pnpm lint` (dependency-cruiser over every package's src/).
 * Why each exists: docs/ARCHITECTURE.md, "Layering".
 */
/** Modules that hold pure decisions: they may not reach the filesystem, processes, network or a database. */
const PURE = ['^controller/src/campaigns/policy', '^controller/src/presence/decide\\.ts$', '^shared/src/validate/'];
/** What counts as I/O for a pure module. */
const IO = [
  '^(node:)?(fs|fs/promises|child_process|net|http|https|http2|dgram|dns|tls|worker_threads|cluster)$',
  '(^|/)node_modules/(execa|nats|postgres|drizzle-orm|@electric-sql/pglite|@grpc/grpc-js|pino|tar)(/|$)',
  '^(execa|nats|postgres|drizzle-orm|@electric-sql/pglite|@grpc/grpc-js|pino|tar)(/|$)',
];

module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment: 'Folders form layers: a folder may not depend on a folder that depends back on it.',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-module-cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'agent-not-controller',
      comment: 'The agent and the controller share only proto/ and shared/.',
      severity: 'error',
      from: { path: '^agent/' },
      to: { path: '^controller/' },
    },
    {
      name: 'controller-not-agent',
      comment: 'The agent and the controller share only proto/ and shared/.',
      severity: 'error',
      from: { path: '^controller/' },
      to: { path: '^agent/' },
    },
    {
      name: 'shared-is-a-leaf',
      comment: 'shared/ is used by every package and uses none of them.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(agent|controller|proto)/' },
    },
    {
      name: 'pure-modules-do-no-io',
      comment: 'Policy, decide and validators are pure functions driven directly by table tests.',
      severity: 'error',
      from: { path: PURE },
      to: { path: IO },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules', '/dist/'] },
    exclude: { path: ['/dist/', 'src/generated/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
