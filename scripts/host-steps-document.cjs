// Serverless variable source: the SSM Command document that runs a physical rebuild's host steps
// on an instance (`agent: { ssm: i-... }`). Its script is src/runbooks/physical/host-steps.sh
// itself, embedded at package time, so the steps the sandbox tests through `agent: local` are the
// steps SSM runs. Used in serverless.yml as ${file(./scripts/host-steps-document.cjs):document}.
//
// The one input is `argv`: host-steps.sh's arguments, NUL-separated and base64 (src/runbooks/physical/ssm.ts
// encodeArgv). Its allowedPattern admits only base64, so no argument can change the shell line it
// is put in; the script is run by bash from a private temporary file and removed after.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const DELIMITER = 'REPLWATCH_HOST_STEPS_END';

function hostStepsDocument() {
  const script = readFileSync(join(__dirname, '../src/runbooks/physical/host-steps.sh'), 'utf8');
  if (script.split('\n').includes(DELIMITER)) throw new Error(`host-steps.sh must not hold a line ${DELIMITER}`);
  return {
    schemaVersion: '2.2',
    description: 'replwatch: one host step of a physical replica rebuild (host-steps.sh)',
    parameters: {
      argv: {
        type: 'String',
        description: "host-steps.sh's arguments, NUL-separated, base64",
        allowedPattern: '^[A-Za-z0-9+/]+={0,2}$',
      },
      executionTimeout: {
        type: 'String',
        description: 'Seconds the step may run before it is stopped',
        default: '3600',
        allowedPattern: '^[0-9]{2,6}$',
      },
    },
    mainSteps: [
      {
        action: 'aws:runShellScript',
        name: 'hostStep',
        inputs: {
          timeoutSeconds: '{{ executionTimeout }}',
          // POSIX sh up to the exec: the shell the agent runs the lines with differs by distribution.
          runCommand: [
            'set -eu',
            'steps="$(mktemp)"',
            'argv="$(mktemp)"',
            `cat > "$steps" <<'${DELIMITER}'`,
            ...script.replace(/\n$/, '').split('\n'),
            DELIMITER,
            "printf '%s' '{{ argv }}' | base64 -d > \"$argv\"",
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell line, not a template
            'exec bash -c \'mapfile -d "" -t a < "$2"; rm -f "$2"; bash "$1" "${a[@]}"; rc=$?; rm -f "$1"; exit $rc\' host-step "$steps" "$argv"',
          ],
        },
      },
    ],
  };
}

module.exports = { document: hostStepsDocument(), hostStepsDocument, DELIMITER };
