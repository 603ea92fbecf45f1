# debian_install PACKAGE...: installs Debian packages as root or through a
# passwordless sudo (apt-get update first, no recommends, quiet). Fails with
# a message naming the packages when this user can do neither.
# Sourced by .ci/run, scripts/cloud/up.sh and scripts/check-capo-cloud.sh.
debian_install() {
  (($#)) || return 0
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if ! sudo -n true 2>/dev/null; then
      echo "$* missing and this user is neither root nor a passwordless sudoer" >&2
      return 1
    fi
    sudo=(sudo -n)
  fi
  echo "apt-get install $*" >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
