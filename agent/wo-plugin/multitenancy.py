"""wo multitenancy: WordOps' own commands for wofleet-agent.

Installed by `wofleet-agent init --wo-plugin` into WordOps' plugin directory,
with multitenancy.conf in its plugin config directory; removed by
`wofleet-agent init --no-wo-plugin`. `wo multitenancy COMMAND ARGS` runs
`wofleet-agent COMMAND ARGS`: output and exit code are the agent's own.
"""

import signal
import subprocess
import sys

from cement.core.controller import CementBaseController, expose

SECTION = 'multitenancy'

# The agent's operator commands (not its daemon ones: serve, enroll), as its --help
# lists them; one a line (agent/test/wo-plugin.install.test.ts reads them).
SUBCOMMANDS = (
    ('init', 'lay out the shared core and stage its first release (idempotent)'),
    ('create', 'create a WordOps WordPress site and put it on the shared core'),
    ('convert', 'turn an existing WordOps WordPress site into a shared-core site'),
    ('update', 'stage a release, check it on the canary site, switch every site, upgrade DBs'),
    ('rollback', 'switch back to the previous (or named) release'),
    ('status', 'releases, sites, health summary and disk usage'),
    ('list', 'every shared-core site with PHP, cache, SSL, release and health'),
    ('health', 'check links, releases, sites, PHP-FPM, nginx, DBs and disk (exit 0 healthy, 2 degraded, 1 unhealthy)'),
    ('remove', 'delete a shared-core site (shared core untouched), or with --all the shared infrastructure'),
    ('releases', 'staged releases, marking current, canary and previous'),
    ('prune', 'delete old releases (never current, canary or previous) and DB snapshot dumps no record needs'),
    ('baseline', 'the plugins, theme and options enforced on every site'),
)


class WOMultitenancyController(CementBaseController):
    class Meta:
        label = SECTION
        stacked_on = 'base'
        stacked_type = 'nested'
        description = ('Run every WordPress site of this server off one shared, '
                       'versioned core (wofleet-agent)')
        usage = 'wo multitenancy <command> [options]  (wo multitenancy <command> --help)'

    def _parse_args(self):
        # A command's arguments belong to the agent: WordOps' parser would
        # refuse every flag it does not know ("unknown args").
        command = self._dispatch_command
        if command is None or command['func_name'] == 'default':
            super()._parse_args()

    @expose(hide=True)
    def default(self):
        self.app.args.print_help()

    def _run_agent(self, command):
        config = self.app.config
        argv = [config.get(SECTION, 'node'), config.get(SECTION, 'agent')]
        if config.get(SECTION, 'config'):
            argv += ['--config', config.get(SECTION, 'config')]
        argv += [command] + list(self.app.argv)
        try:
            agent = subprocess.Popen(argv)
        except OSError as err:
            print('wo multitenancy: cannot run wofleet-agent (%s): %s; '
                  'reinstall with wofleet-agent init --wo-plugin' % (' '.join(argv[:2]), err.strerror),
                  file=sys.stderr)
            self.app.exit_code = 1
            return
        code = _wait_passing_signals(agent)
        # Killed by a signal: the shell's convention, 128 + the signal.
        self.app.exit_code = code if code >= 0 else 128 - code


def _wait_passing_signals(agent):
    """Wait for the agent, whose exit code is the answer. Cement turns SIGINT and
    SIGTERM into an exception and exit 0; instead, SIGTERM goes to the agent, and
    SIGINT (Ctrl-C reaches the whole process group, the agent too) is left to it."""
    def forward(signum, _frame):
        if signum == signal.SIGTERM:
            agent.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return agent.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _subcommand(name, help_text):
    def run(self):
        self._run_agent(name)
    run.__name__ = name
    return expose(help=help_text)(run)


for _name, _help in SUBCOMMANDS:
    setattr(WOMultitenancyController, _name, _subcommand(_name, _help))


def load(app):
    app.handler.register(WOMultitenancyController)
