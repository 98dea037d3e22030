package bench

// Vocabulary for generated reports: names and texts of the kind real
// reports carry, so that field lengths and repetition are realistic.

// debGroups are Debian source packages and the binary packages built from
// them: a vulnerability of the source affects every binary.
var debGroups = [][]string{
	{"apt", "libapt-pkg6.0"}, {"bash"}, {"coreutils"}, {"curl", "libcurl4"}, {"dpkg"},
	{"e2fsprogs", "libcom-err2", "libext2fs2", "libss2", "logsave"}, {"gcc-12-base", "libgcc-s1", "libstdc++6"},
	{"gnupg", "gpgv", "dirmngr"}, {"glibc", "libc-bin", "libc6"}, {"gnutls28", "libgnutls30"},
	{"krb5", "libgssapi-krb5-2", "libk5crypto3", "libkrb5-3", "libkrb5support0"}, {"openldap", "libldap-2.5-0"},
	{"xz-utils", "liblzma5"}, {"ncurses", "libncursesw6", "libtinfo6", "ncurses-base", "ncurses-bin"},
	{"nghttp2", "libnghttp2-14"}, {"pam", "libpam-modules", "libpam-modules-bin", "libpam-runtime", "libpam0g"},
	{"pcre2", "libpcre2-8-0"}, {"perl", "libperl5.36", "perl-base", "perl-modules-5.36"}, {"sqlite3", "libsqlite3-0"},
	{"libssh2", "libssh2-1"}, {"openssl", "libssl3"}, {"systemd", "libsystemd0", "libudev1"}, {"libtasn1-6"},
	{"libxml2"}, {"libxslt", "libxslt1.1"}, {"shadow", "login", "passwd"},
	{"util-linux", "bsdutils", "libblkid1", "libmount1", "libsmartcols1", "libuuid1", "mount"},
	{"zlib", "zlib1g"}, {"expat", "libexpat1"}, {"freetype", "libfreetype6"}, {"libpng1.6", "libpng16-16"},
	{"tiff", "libtiff6"}, {"libwebp", "libwebp7", "libwebpmux3"}, {"libjpeg-turbo", "libjpeg62-turbo"},
	{"libx11", "libx11-6", "libx11-data"}, {"harfbuzz", "libharfbuzz0b"},
	{"imagemagick", "imagemagick-6-common", "libmagickcore-6.q16-6", "libmagickwand-6.q16-6"},
	{"git", "git-man"}, {"openssh", "openssh-client"}, {"python3.11", "libpython3.11-minimal", "libpython3.11-stdlib", "python3.11-minimal"},
	{"libidn2", "libidn2-0"}, {"libcap2"}, {"libseccomp", "libseccomp2"}, {"libzstd", "libzstd1"}, {"bzip2", "libbz2-1.0"},
	{"libselinux", "libselinux1"}, {"audit", "libaudit1", "libaudit-common"}, {"gmp", "libgmp10"},
	{"nettle", "libhogweed6", "libnettle8"}, {"p11-kit", "libp11-kit0"}, {"libunistring", "libunistring2"},
	{"libffi", "libffi8"}, {"keyutils", "libkeyutils1"}, {"cyrus-sasl2", "libsasl2-2", "libsasl2-modules-db"},
	{"brotli", "libbrotli1"}, {"rtmpdump", "librtmp1"}, {"libpsl", "libpsl5"}, {"wget"}, {"tar"},
	{"gdbm", "libgdbm6", "libgdbm-compat4"}, {"readline", "libreadline8", "readline-common"},
	{"libbsd", "libbsd0"}, {"libxcb", "libxcb1"}, {"fontconfig", "fontconfig-config", "libfontconfig1"},
	{"cairo", "libcairo2"}, {"pango1.0", "libpango-1.0-0", "libpangocairo-1.0-0", "libpangoft2-1.0-0"},
	{"glib2.0", "libglib2.0-0"}, {"icu", "libicu72"}, {"libgd2", "libgd3"}, {"libheif", "libheif1"},
	{"libde265", "libde265-0"}, {"aom", "libaom3"}, {"openjpeg2", "libopenjp2-7"}, {"lcms2", "liblcms2-2"},
	{"ghostscript", "libgs10", "libgs10-common"}, {"libvpx", "libvpx7"}, {"nss", "libnss3"}, {"nspr", "libnspr4"},
	{"jbigkit", "libjbig0"}, {"libdeflate", "libdeflate0"}, {"giflib", "libgif7"}, {"libraw", "libraw20"},
	{"libxpm", "libxpm4"}, {"libsndfile", "libsndfile1"}, {"mariadb", "libmariadb3", "mariadb-common"},
	{"postgresql-15", "libpq5"}, {"cups", "libcups2"}, {"avahi", "libavahi-client3", "libavahi-common3", "libavahi-common-data"},
	{"dbus", "libdbus-1-3"}, {"elfutils", "libelf1"}, {"binutils", "libbinutils", "binutils-common"},
}

var npmPkgs = []string{
	"lodash", "minimist", "axios", "express", "qs", "semver", "ws", "tough-cookie", "json5", "follow-redirects",
	"node-fetch", "jsonwebtoken", "moment", "underscore", "async", "glob-parent", "path-to-regexp", "body-parser",
	"cookie", "send", "serve-static", "cross-spawn", "braces", "micromatch", "ip", "tar", "word-wrap", "postcss",
	"nth-check", "ansi-regex", "decode-uri-component", "minimatch", "got", "undici", "xml2js", "yaml", "dset",
	"@babel/traverse", "@babel/helpers", "webpack", "socket.io-parser", "engine.io", "protobufjs", "vm2", "ejs",
	"handlebars", "marked", "sanitize-html", "jquery", "bootstrap", "debug", "ms", "hoek", "request", "xmldom",
}

var pypiPkgs = []string{
	"Django", "requests", "urllib3", "Jinja2", "PyYAML", "setuptools", "pip", "cryptography", "Pillow", "Werkzeug",
	"Flask", "certifi", "idna", "aiohttp", "lxml", "numpy", "paramiko", "sqlparse", "tornado", "twisted",
	"MarkupSafe", "pycryptodome", "pyOpenSSL", "gunicorn", "waitress", "starlette", "fastapi", "jupyter_server",
	"notebook", "mistune", "babel", "pygments", "wheel", "future", "py", "ujson", "orjson", "protobuf", "grpcio",
}

var mavenPkgs = []string{
	"org.apache.logging.log4j:log4j-core", "com.fasterxml.jackson.core:jackson-databind", "org.springframework:spring-web",
	"org.springframework:spring-webmvc", "org.springframework:spring-core", "io.netty:netty-codec-http",
	"io.netty:netty-handler", "org.apache.tomcat.embed:tomcat-embed-core", "org.yaml:snakeyaml",
	"com.google.guava:guava", "org.apache.commons:commons-text", "commons-io:commons-io", "org.postgresql:postgresql",
	"com.h2database:h2", "org.bouncycastle:bcprov-jdk18on", "ch.qos.logback:logback-classic", "org.apache.httpcomponents:httpclient",
	"com.google.protobuf:protobuf-java", "org.eclipse.jetty:jetty-server", "net.minidev:json-smart",
	"org.springframework.security:spring-security-core", "io.undertow:undertow-core", "org.apache.kafka:kafka-clients",
}

var goPkgs = []string{
	"stdlib", "golang.org/x/net", "golang.org/x/crypto", "google.golang.org/grpc", "github.com/docker/docker",
	"golang.org/x/text", "google.golang.org/protobuf", "github.com/opencontainers/runc", "github.com/containerd/containerd",
	"golang.org/x/oauth2", "github.com/golang-jwt/jwt/v4", "github.com/go-git/go-git/v5", "k8s.io/apimachinery",
	"github.com/hashicorp/go-retryablehttp", "github.com/prometheus/client_golang", "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
}

var gemPkgs = []string{
	"rails", "actionpack", "activesupport", "activerecord", "actionview", "nokogiri", "rack", "puma", "loofah",
	"rails-html-sanitizer", "json", "rexml", "net-imap", "uri", "time", "sinatra", "mail", "devise", "jwt",
}

var words = []string{
	"a", "an", "the", "in", "of", "to", "via", "when", "before", "after", "through", "allows", "allow", "could",
	"remote", "local", "attackers", "attacker", "authenticated", "unauthenticated", "users", "to", "cause", "denial",
	"of", "service", "execute", "arbitrary", "code", "obtain", "sensitive", "information", "bypass", "intended",
	"access", "restrictions", "buffer", "overflow", "heap-based", "stack-based", "use-after-free", "double", "free",
	"integer", "underflow", "out-of-bounds", "read", "write", "NULL", "pointer", "dereference", "crafted", "file",
	"request", "header", "certificate", "packet", "message", "function", "parser", "library", "component", "module",
	"version", "versions", "prior", "affected", "is", "are", "was", "discovered", "found", "flaw", "issue",
	"vulnerability", "memory", "corruption", "leak", "infinite", "loop", "resource", "exhaustion", "validation",
	"improper", "input", "handling", "length", "field", "value", "length-prefixed", "regular", "expression",
	"processing", "decompression", "parsing", "serialization", "deserialization", "untrusted", "data", "path",
	"traversal", "symlink", "race", "condition", "timing", "side-channel", "signature", "verification", "session",
	"cookie", "redirect", "injection", "cross-site", "scripting", "template", "escape", "sequence",
}

var funcs = []string{
	"parse_header", "read_chunk", "inflate_fast", "decode_frame", "x509_verify", "ssl3_read_bytes", "png_read_row",
	"xmlParseCharRef", "tiffReadDirectory", "ReadImage", "ParseQuery", "mime_decode", "url_parse", "lookup_name",
	"idn2_to_ascii_4i", "cmd_expand", "disable_priv_mode", "archive_read_format", "gz_decompress", "jpeg_read_scanlines",
}

var cvssV3 = []string{
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
	"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H",
	"CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
	"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H",
}

var cvssV2 = []string{
	"AV:N/AC:L/Au:N/C:P/I:P/A:P", "AV:N/AC:M/Au:N/C:N/I:P/A:N", "AV:L/AC:L/Au:N/C:C/I:C/A:C",
	"AV:N/AC:L/Au:N/C:N/I:N/A:P", "AV:N/AC:M/Au:N/C:P/I:P/A:P", "AV:L/AC:L/Au:N/C:P/I:N/A:N",
}

var cvssV40 = []string{
	"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
	"CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N",
	"CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
}

var vendorSources = []string{"nvd", "redhat", "debian", "ubuntu", "ghsa", "amazon", "oracle-oval", "photon", "cbl-mariner", "alma", "rocky"}

var severities = []string{"LOW", "MEDIUM", "MEDIUM", "HIGH", "HIGH", "CRITICAL", "UNKNOWN", "LOW", "MEDIUM"}

var referenceSites = []string{
	"https://nvd.nist.gov/vuln/detail/", "https://access.redhat.com/security/cve/", "https://security-tracker.debian.org/tracker/",
	"https://ubuntu.com/security/", "https://www.cve.org/CVERecord?id=", "https://bugzilla.redhat.com/show_bug.cgi?id=",
	"https://lists.debian.org/debian-lts-announce/2024/01/msg", "https://security.netapp.com/advisory/ntap-2024",
	"https://github.com/advisories/", "https://lists.fedoraproject.org/archives/list/package-announce@lists.fedoraproject.org/message/",
	"https://www.openwall.com/lists/oss-security/2024/02/", "https://security.gentoo.org/glsa/2024",
}

var ghsaAlphabet = "23456789cfghjmpqrvwx"
