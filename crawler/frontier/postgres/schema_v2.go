package postgres

// schemaV2 indexes the live items so that neither the scheduler nor the
// queue gauges read a row per queued URL. Version 1's lease read due items
// in (due, id) order and skipped those of busy hosts row by row: with each
// host's backlog queued together (as a sitemap poll queues it) it walked
// past every URL of every busy host and found two hosts a turn instead of
// eight; its gauges counted with a parallel sequential scan.
//
// frontier_items_due_host (due, host, id) replaces (due, id): Lease walks
// it in (due, host) pairs, one index probe a pair (hostsByDue), so a busy
// host's backlog queued at one time costs one probe; the gauges count
// its two ranges, due and not yet due.
//
// frontier_items_host_due (host, due, id) gives a host's first due items
// in one probe (leaseItems), and walked host by host, each host's first
// live item (hostsByHead, for when the due-order walk meets too many
// distinct due times of skipped hosts).
//
// Nothing is kept per host or per source: several replicas insert into
// one frontier, and a summary row that inserts update would make their
// transactions queue on it. The indexes are all the bookkeeping, and
// PostgreSQL maintains them without row locks; the cost is one index more
// to write per item change than version 1.
//
// CREATE INDEX (CONCURRENTLY cannot run in the migration's transaction)
// blocks writes to frontier_items while it builds, during `archivist
// migrate`.
const schemaV2 = `
CREATE INDEX frontier_items_due_host ON frontier_items (due, host, id) WHERE due IS NOT NULL;
CREATE INDEX frontier_items_host_due ON frontier_items (host, due, id) WHERE due IS NOT NULL;
DROP INDEX frontier_items_due;
`
