package postgres

import "github.com/archivist-project/archivist/archive/pgdb"

// Schema is the frontier's part of the database schema, for `archivist
// migrate` (pgdb.Migrate). Open refuses a database that is not exactly at
// its latest version.
func Schema() pgdb.Component {
	return pgdb.Component{Name: "frontier", Migrations: []pgdb.Migration{
		{Version: 1, Name: "items, discoveries, sources, polls, hosts, validators, claims, owners", SQL: schemaV1},
		{Version: 2, Name: "items indexed by (due, host) and (host, due), for leasing host by host", SQL: schemaV2},
	}}
}

// schemaV1 mirrors the SQLite frontier's tables (see crawler/frontier/sqlite),
// prefixed frontier_ so that the catalog can share the database.
//
// frontier_items.due is the one column the queue is ordered by: the
// not-before time of a pending item, the lease deadline of a leased one
// (an expired lease is simply due again), NULL for items done or failed,
// so the partial index covers live work only.
//
// frontier_owners maps each lease owner (a daemon's run id) to the
// PostgreSQL session that proves it alive: the backend pid and start
// time of a connection the daemon holds open for its whole life. When
// that session is gone from pg_stat_activity (the process was killed, or
// its machine lost), its leases are given back at once instead of after
// the lease time.
const schemaV1 = `
CREATE TABLE frontier_items (
	id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ukey             text COLLATE "C" NOT NULL UNIQUE,
	kind             text NOT NULL,
	url              text NOT NULL,
	host             text COLLATE "C" NOT NULL,
	source           text COLLATE "C" NOT NULL,
	via              text NOT NULL,
	depth            integer NOT NULL,
	state            text NOT NULL,
	due              timestamptz,
	lease_owner      text COLLATE "C" NOT NULL DEFAULT '',
	lease_seq        bigint NOT NULL DEFAULT 0,
	attempts         integer NOT NULL DEFAULT 0,
	fail_kind        text NOT NULL DEFAULT '',
	last_error       text NOT NULL DEFAULT '',
	last_result      text NOT NULL DEFAULT '',
	discovered_at    timestamptz NOT NULL,
	last_fetch_at    timestamptz,
	first_capture_at timestamptz,
	captures         integer NOT NULL DEFAULT 0,
	last_capture_id  text NOT NULL DEFAULT ''
);
CREATE INDEX frontier_items_due ON frontier_items (due, id) WHERE due IS NOT NULL;
CREATE INDEX frontier_items_leased ON frontier_items (lease_owner) WHERE state = 'leased';
CREATE INDEX frontier_items_source ON frontier_items (source, kind, state);

CREATE TABLE frontier_discoveries (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ukey            text COLLATE "C" NOT NULL,
	url             text NOT NULL,
	source          text COLLATE "C" NOT NULL,
	kind            text NOT NULL,
	via             text COLLATE "C" NOT NULL,
	position        integer NOT NULL,
	found_at        timestamptz NOT NULL,
	last_seen_at    timestamptz NOT NULL,
	seen            integer NOT NULL DEFAULT 1,
	feed_guid       text NOT NULL,
	feed_date       timestamptz,
	sitemap_lastmod timestamptz,
	news_pubdate    timestamptz,
	title           text NOT NULL,
	UNIQUE (ukey, source, via)
);
CREATE INDEX frontier_discoveries_source ON frontier_discoveries (source, ukey);

CREATE TABLE frontier_sources (
	name         text COLLATE "C" PRIMARY KEY,
	url          text NOT NULL,
	kind         text NOT NULL,
	interval_ms  bigint NOT NULL,
	active       boolean NOT NULL,
	added_at     timestamptz NOT NULL,
	polls        integer NOT NULL DEFAULT 0,
	last_poll_at timestamptz,
	last_ok      boolean NOT NULL DEFAULT false,
	last_result  text NOT NULL DEFAULT '',
	last_status  integer NOT NULL DEFAULT 0,
	last_new_at  timestamptz
);

CREATE TABLE frontier_polls (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	source      text COLLATE "C" NOT NULL,
	at          timestamptz NOT NULL,
	ok          boolean NOT NULL,
	result      text NOT NULL,
	http_status integer NOT NULL,
	found       integer NOT NULL,
	new         integer NOT NULL
);
CREATE INDEX frontier_polls_source ON frontier_polls (source, id);
CREATE INDEX frontier_polls_source_new ON frontier_polls (source, id) WHERE new > 0;

CREATE TABLE frontier_hosts (
	host          text COLLATE "C" PRIMARY KEY,
	backoff_until timestamptz NOT NULL,
	reason        text NOT NULL
);

CREATE TABLE frontier_validators (
	ukey          text COLLATE "C" PRIMARY KEY,
	etag          text NOT NULL,
	last_modified text NOT NULL,
	updated_at    timestamptz NOT NULL
);

CREATE TABLE frontier_claims (
	ukey    text COLLATE "C" PRIMARY KEY,
	item_id bigint NOT NULL
);
CREATE INDEX frontier_claims_item ON frontier_claims (item_id);

CREATE TABLE frontier_owners (
	owner         text COLLATE "C" PRIMARY KEY,
	pid           integer NOT NULL,
	backend_start timestamptz NOT NULL,
	registered_at timestamptz NOT NULL DEFAULT now()
);
`
