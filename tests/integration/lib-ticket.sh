# Helpers for the ticket integration tests (sourced after lib.sh and
# lib-upload.sh): real Redmine 5 and Request Tracker 5 from Debian, each on
# a temp copy of its packaged SQLite database in T_DIR (the system install
# is never written), served on 127.0.0.1 behind an nginx TLS proxy with the
# test CA, since the ticket schemes are https only.
unset RDIAG_TICKET_TOKEN RDIAG_TICKET_USER RDIAG_TICKET_PASSWORD

TK_REDMINE_DB=/var/lib/dbconfig-common/sqlite3/redmine/instances/default/redmine_default
TK_RT_DB=/var/lib/dbconfig-common/sqlite3/request-tracker5/rtdb
TK_RT_SERVER=/usr/share/request-tracker5/libexec/rt-server

# tk_need FILE: a missing server is a failure, not a skip: the packages
# are in scripts/deps/tickets.txt.
tk_need() {
	if [ ! -e "$1" ]; then
		echo "not ok - $1 missing: run scripts/install-deps" >&2
		exit 1
	fi
}

# Redmine 5 needs webrick in its bundle; Debian's Gemfile.local is the
# documented place (a one-time setup, idempotent).
tk_redmine_gemfile() {
	local g=/usr/share/redmine/Gemfile.local
	grep -qs '^gem "webrick"' "$g" || echo 'gem "webrick"' >>"$g"
}

# tk_tls_proxy DIR PORT BACKEND_PORT: nginx terminating TLS (DIR's test
# cert from u_ca) in front of http://127.0.0.1:BACKEND_PORT.
tk_tls_proxy() {
	local d=$1 port=$2 backend=$3
	u_nginx_tls "$d" "$port" <<CONF
		client_max_body_size 0;
		location / {
			proxy_pass http://127.0.0.1:$backend;
			proxy_set_header Host \$host:\$server_port;
			proxy_set_header X-Forwarded-Proto https;
			proxy_read_timeout 120s;
		}
CONF
}

# tk_config DIR: $T_DIR/t.conf trusting DIR's test CA, with quick retries
# and the store $T_DIR/store/ for bundles too large to attach.
tk_config() {
	mkdir -p "$T_DIR/store"
	cat >"$T_DIR/t.conf" <<CONF
[upload]
ca_file = $1/ca.pem
retries = 1
retry_delay_ms = 100
[ticket]
store = file://$T_DIR/store/
CONF
}

# tk_redmine DIR PORT: Redmine on http://127.0.0.1:PORT with the REST API
# on, a private project "support" and one issue. Sets TK_REDMINE_KEY (the
# admin's API key) and TK_REDMINE_ISSUE.
tk_redmine() {
	local d=$1 port=$2 out
	tk_need "$TK_REDMINE_DB"
	tk_redmine_gemfile
	mkdir -p "$d/config" "$d/files" "$d/tmp/cache" "$d/log" "$d/public"
	cp "$TK_REDMINE_DB" "$d/db.sqlite3"
	printf 'production:\n  adapter: sqlite3\n  database: %s/db.sqlite3\n  encoding: utf8\n' \
		"$d" >"$d/config/database.yml"
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$d/config/secret_key.txt"
	# Debian's Redmine finds an instance below instances/ (a symlink to
	# /var/lib/redmine); climbing out of it puts this one in T_DIR.
	export REDMINE_INSTANCE="../../../..$d"
	out=$(cd /usr/share/redmine && bundle exec rails runner -e production '
		Setting.rest_api_enabled = "1"
		u = User.find_by_login("admin")
		p = Project.create!(name: "Support", identifier: "support", is_public: false)
		p.trackers = Tracker.all.to_a
		p.save!
		i = Issue.create!(project: p, tracker: p.trackers.first, subject: "Customer 4711",
			author: u, priority: IssuePriority.first, status: IssueStatus.first)
		puts "KEY=#{u.api_key}"
		puts "ISSUE=#{i.id}"' 2>>"$d/log/runner.log")
	TK_REDMINE_KEY=$(sed -n 's/^KEY=//p' <<<"$out")
	TK_REDMINE_ISSUE=$(sed -n 's/^ISSUE=//p' <<<"$out")
	[ -n "$TK_REDMINE_KEY" ] && [ -n "$TK_REDMINE_ISSUE" ] || {
		echo "redmine setup failed: $(tail -5 "$d/log/runner.log")" >&2
		return 1
	}
	(cd /usr/share/redmine && exec bundle exec rails server -u webrick -b 127.0.0.1 \
		-p "$port" -e production -P "$d/tmp/server.pid") >>"$d/log/server.log" 2>&1 &
	T_PIDS+=("$!")
	t_wait_port "$port" 60
}

# tk_rt DIR PORT HTTPS_PORT: RT 5 on http://127.0.0.1:PORT (REST2 at
# /REST/2.0), root's auth token in TK_RT_TOKEN, ticket TK_RT_TICKET.
tk_rt() {
	local d=$1 port=$2 https_port=$3 out
	tk_need "$TK_RT_DB"
	mkdir -p "$d/conf.d"
	cp "$TK_RT_DB" "$d/rtdb"
	cat >"$d/site.pm" <<CONF
Set(\$DatabaseType, 'SQLite');
Set(\$DatabaseName, '$d/rtdb');
Set(\$rtname, 'rdiag-test');
Set(\$Organization, 'rdiag.test');
Set(\$WebPath, '');
Set(\$WebDomain, '127.0.0.1');
Set(\$WebPort, $https_port);
Set(\$WebBaseURL, 'https://127.0.0.1:$https_port');
Set(\$LogToSTDERR, 'error');
Set(\$LogToSyslog, undef);
Set(\$LogToFile, undef);
Set(\$MailCommand, 'testfile');
1;
CONF
	export RT_SITE_CONFIG="$d/site.pm" RT_SITE_CONFIG_DIR="$d/conf.d"
	out=$(perl -I/usr/share/request-tracker5/lib -e '
		use RT; RT::LoadConfig(); RT::Init();
		my $root = RT::User->new(RT->SystemUser); $root->Load("root") or die "no root";
		my $cu = RT::CurrentUser->new($root);
		my ($ok, $msg, $auth) = RT::AuthToken->new($cu)->Create(
			Owner => $root->id, Description => "rdiag test");
		die "token: $msg" unless $ok;
		my ($id, undef, $m) = RT::Ticket->new($cu)->Create(Queue => "General",
			Subject => "Customer 4711", Requestor => ["customer\@example.com"]);
		die "ticket: $m" unless $id;
		print "TOKEN=$auth\nTICKET=$id\n";' 2>>"$d/setup.log")
	TK_RT_TOKEN=$(sed -n 's/^TOKEN=//p' <<<"$out")
	TK_RT_TICKET=$(sed -n 's/^TICKET=//p' <<<"$out")
	[ -n "$TK_RT_TOKEN" ] && [ -n "$TK_RT_TICKET" ] || {
		echo "rt setup failed: $(tail -5 "$d/setup.log")" >&2
		return 1
	}
	"$TK_RT_SERVER" --listen "127.0.0.1:$port" >>"$d/server.log" 2>&1 &
	T_PIDS+=("$!")
	t_wait_port "$port" 60
}

# tk_bundle PATH HOST TICKET FINDINGS_JSON [PAD_KB]: a bundle as rdiag
# writes it (TOP/findings.json, TOP/report.txt, TOP/manifest.json listing
# both with their SHA-256), padded with PAD_KB of incompressible bytes to
# reach a size. Tickets verify a bundle like `rdiag inspect` does.
tk_bundle() {
	$PY - "$@" <<'PY'
import hashlib, io, json, os, sys, tarfile
path, host, ticket, findings = sys.argv[1:5]
pad = int(sys.argv[5]) if len(sys.argv) > 5 else 0
top = os.path.basename(path).split(".tar")[0]
man = {"format": "rdiag-bundle/1", "agent_version": "0.1.0", "host": host,
       "ticket": ticket or None,
       "collectors": [{"name": "system", "status": "ok"},
                      {"name": "nas", "status": "timeout"}],
       "files": []}
def add(t, name, data):
    ti = tarfile.TarInfo(top + "/" + name)
    ti.size = len(data)
    ti.mode = 0o600
    t.addfile(ti, io.BytesIO(data))
    if name != "manifest.json":
        man["files"].append({"path": name, "size": len(data),
                             "sha256": hashlib.sha256(data).hexdigest()})
with tarfile.open(path, "w:gz") as t:
    add(t, "findings.json", findings.encode())
    add(t, "report.txt", b"rdiag verdict\n")
    if pad:
        add(t, "collectors/system/pad.bin", os.urandom(pad * 1024))
    add(t, "manifest.json", json.dumps(man).encode())
PY
	(cd "$(dirname "$1")" && sha256sum "$(basename "$1")" >"$1.sha256")
}

# Findings with markup in every field a note shows.
TK_FINDINGS='[
 {"id":"db.pg.no_hba_entry","collector":"database","severity":"fail","level":4,
  "title":"PostgreSQL refuses *this* host <script>alert(1)</script>",
  "detail":"pg_hba.conf has no entry for 10.0.0.5 & user \"dms\" [[Wiki]] {{toc}} #1 h1. x",
  "hint":"Ask the DB admin to add: host dms dms 10.0.0.5/32 scram-sha-256"},
 {"id":"system.disk_full","collector":"system","severity":"warn","level":0,
  "title":"Disk /var is 97% full","detail":"3 GB free","hint":"Remove old logs"},
 {"id":"av.blocks_app","collector":"antivirus","severity":"warn","level":2,
  "title":"The antivirus scans the application data","detail":"","hint":""},
 {"id":"system.ok.clock","collector":"system","severity":"ok","level":0,"title":"Clock in sync"},
 {"id":"system.ok.dns","collector":"system","severity":"ok","level":0,"title":"DNS works"},
 {"id":"nas.info","collector":"nas","severity":"info","level":0,"title":"Two shares"}
]'
