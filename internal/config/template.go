package config

// Template is the commented cvetrail.yaml that `cvetrail init` writes.
const Template = `# cvetrail configuration. Reference: https://github.com/cvetrail/cvetrail#configuration
schemaVersion: 1

# The images to scan every day. ref is a registry reference or a local
# tarball (docker-archive:PATH, oci:PATH); name is the stable name the
# ledger is kept under (default: ref).
images:
  - ref: registry.example.com/team/app:latest
    # name: registry.example.com/team/app
    # scanner: grype          # another scanner for this image
    # platform: linux/amd64

scanner:
  name: trivy                 # trivy or grype
  # path: /usr/local/bin/trivy  # default: found on PATH
  # args: ["--cache-dir", "/var/cache/trivy"]
  timeout: 10m                # per image
  # env: {TRIVY_DB_REPOSITORY: mirror.example.com/trivy-db}

# What needs a human. By default every new finding does.
policy:
  # minSeverity: HIGH         # new findings below it are merged without review
  # onlyFixable: true         # new findings without a fix are merged without review
  # ignoreWontFix: true       # findings the vendor will not fix are merged without review
  # blockSeverityRise: true   # a severity rise of an undecided finding needs review
  # cvssThreshold: 9.0        # a decided finding whose CVSS reaches it is re-opened

branch: cvetrail/daily-report # the report branch
# base: main                  # default: the branch checked out when cvetrail runs

forge: none                   # none (local merge), github or gitlab
merge:
  mode: api                   # api, auto (native auto-merge) or none (a merge bot)
  method: merge               # merge, squash or rebase
labels:
  review: new CVE             # while something needs a human
  # extra: [security]

# commit:
#   author: "cvetrail <cvetrail@example.com>"

# A scanner whose vulnerability database failed to load reports nothing:
# these guards stop such a run before it "resolves" everything.
guard:
  maxDrop: 50%                # share of an image's findings that may vanish in one run
  minFindings: 10             # guards apply to images with at least this many findings
`
