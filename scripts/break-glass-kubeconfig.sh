#!/usr/bin/env bash
# Prints the break-glass kubeconfig (system:masters) of a cluster stack, read
# from its state: it is no output, so that no other stack's state holds a copy.
#   npm run --silent break-glass -- test > ~/.kube/webhost-test-break-glass.yaml
# Needs the state passphrase (TF_VAR_state_encryption_passphrase) and, for
# remote state, the backend credentials. Use it when the platform credential
# is lost or revoked; every use is worth a note in the operations log.
set -euo pipefail
stack=${1:?usage: npm run --silent break-glass -- <cluster stack, e.g. test>}
dir=${STACKS_DIR:-cdktf.out/stacks}/$stack
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
[[ -f $dir/cdk.tf.json || -f $dir/main.tf.json ]] || { echo "no synthesized stack $stack in $dir: run npm run synth" >&2; exit 1; }
source scripts/tool-env.sh
tofu -chdir="$dir" show -json | node -e '
  let text = "";
  process.stdin.on("data", (d) => (text += d)).on("end", () => {
    const resources = JSON.parse(text).values?.root_module?.resources ?? [];
    const r = resources.find((r) => r.address === "terraform_data.break_glass_kubeconfig");
    if (!r) {
      console.error(`no terraform_data.break_glass_kubeconfig in the state of ${process.argv[1]}: apply that cluster stack first`);
      process.exit(1);
    }
    process.stdout.write(r.values.output.kubeconfig);
  });
' "$stack"
