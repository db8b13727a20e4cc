/*
 * bench/decide_store.c: in-process kext load decisions per second with the store lookups
 * the machine layer does (issue 5 item 9: "the load decision on a store of 10,000
 * approvals and 50 profiles").
 *
 * For each backend ("memory", then "sqlite": a real KextPolicy file with Apple's schema in
 * a temporary directory) the store gets, through lib/store and in one transaction, 10,000
 * kext_policy rows (1,000 teams of 10 kexts; 1 kext in 5 not allowed), a pending approval
 * for each kext not allowed, and the kext_policy_mdm mirror of 50 installed
 * kernel-extension-policy payloads (each: 5 teams in AllowedTeamIdentifiers, 2 teams x 3
 * kexts in AllowedKernelExtensions). Each decision then does what lib/machine/facts.c does
 * for one kext: kext_policy_get for (Team ID, bundle ID); the team's co-approval scope
 * check (kext_policy_get for the team's other kexts in /Library/Extensions until one is
 * allowed, as scope_fact() walks the inventory); pending_get; then fills the facts and
 * calls macext_policy_decide with the 50 payloads, reusing one trace. The workload is the
 * one of bench/decide.c (approved, unapproved, MDM-allowed, deprecated-KPI kexts on 10.15.7,
 * 11.7 and 14.0). Prints decisions/s and latency p50/p99/max per backend; asserts nothing
 * (target: >= 200,000 decisions/s, p99 < 50 us on one core).
 *
 * usage: bench_decide_store [DECISIONS]   (default 200,000 per backend)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "macext/policy.h"
#include "macext/store.h"

#define DEFAULT_DECISIONS 200000

/* ---- filling the store ------------------------------------------------------------------ */

static bool row_allowed(unsigned team, unsigned k)
{
	return (team + k) % 5 != 0;
}

static int fill(struct macext_store *s)
{
	static struct macext_kext_policy_mdm mdm[NPROFILES * (5 + 2 * 3)];
	char team[11], bundle[40], path[80];
	size_t nmdm = 0;
	int r = macext_store_begin(s);

	for (unsigned i = 0; r == 0 && i < NTEAMS; i++) {
		team_name(team, i);
		for (unsigned k = 0; r == 0 && k < KEXTS_PER_TEAM; k++) {
			struct macext_kext_policy p = {.team_id = team, .bundle_id = bundle,
						       .allowed = row_allowed(i, k),
						       .developer_name = "Bench Corp"};

			snprintf(bundle, sizeof(bundle), "com.vendor%u.kext%u", i, k);
			r = macext_store_kext_policy_put(s, &p);
			if (r == 0 && !p.allowed) {
				struct macext_pending_approval pa = {team, bundle, "Bench Corp", path,
								     T_NOW - 60, NULL};

				snprintf(path, sizeof(path), "/Library/Extensions/V%uK%u.kext", i, k);
				r = macext_store_pending_add(s, &pa);
			}
		}
	}
	for (unsigned p = 0; p < NPROFILES; p++) {
		for (unsigned i = 0; i < 5; i++)
			mdm[nmdm++] = (struct macext_kext_policy_mdm){pteams[p][i], NULL, true,
								      puuids[p], NULL};
		for (unsigned k = 0; k < 2; k++)
			for (unsigned b = 0; b < 3; b++)
				mdm[nmdm++] = (struct macext_kext_policy_mdm){
					pkext_teams[p][k], pkext_ids[p][k][b], true, puuids[p], NULL};
	}
	if (r == 0)
		r = macext_store_mdm_policy_replace_all(s, mdm, nmdm);
	if (r == 0)
		r = macext_store_commit(s);
	else if (s->in_txn)
		macext_store_rollback(s);
	return r;
}

/* ---- the decisions ---------------------------------------------------------------------- */

/* The team's co-approval scope (scope_fact in lib/machine/facts.c): another of its kexts in
 * /Library/Extensions has an allowed row. TEAM_NO is the team's number, for the names. */
static int scope_check(struct macext_store *s, const char *team, unsigned team_no,
		       const char *bundle, bool *ret)
{
	char other[40];
	int r = 0;

	*ret = false;
	for (unsigned k = 0; k < KEXTS_PER_TEAM && !*ret; k++) {
		struct macext_kext_policy p = {0};

		snprintf(other, sizeof(other), "com.vendor%u.kext%u", team_no, k);
		if (strcmp(other, bundle) == 0)
			continue;
		r = macext_store_kext_policy_get(s, team, other, &p);
		if (r == 0)
			*ret = p.allowed;
		else if (r != -ENOENT)
			return r;
		macext_kext_policy_clear(&p);
	}
	return 0;
}

static int run(const char *backend, struct macext_store *s, size_t n, uint64_t *lat)
{
	unsigned counts[4] = {0};
	struct macext_trace t;
	uint64_t start, total;
	char team[11], bundle[40];

	macext_trace_init(&t);
	start = now_ns();
	for (size_t i = 0; i < n; i++) {
		struct macext_facts f;
		struct macext_kext_policy row = {0};
		struct macext_pending_approval pend = {0};
		enum macext_decision d;
		const char *msg;
		int code, r;
		unsigned team_no;
		uint64_t t0 = now_ns();

		bench_facts(&f, i, team, bundle, &team_no);

		/* the store lookups of facts.c: the row, the team's scope, the pending block */
		r = macext_store_kext_policy_get(s, team, bundle, &row);
		if (r == 0)
			f.approval = (struct macext_approval_row){true, row.team_id, row.bundle_id,
								  row.allowed, row.developer_name};
		if ((r == 0 || r == -ENOENT) &&
		    (r = scope_check(s, team, team_no, bundle, &f.team_approved_in_scope)) == 0) {
			r = macext_store_pending_get(s, team, bundle, &pend);
			if (r == 0) {
				f.pending.present = true;
				f.pending.blocked_at = pend.blocked_at;
			}
		}
		if (r < 0 && r != -ENOENT) {
			fprintf(stderr, "bench_decide_store: %s: lookup %zu failed: %s\n", backend, i,
				macext_store_diag(s)->msg);
			return 71;
		}
		if (macext_policy_decide(&f, &t, &d, &code, &msg) < 0) {
			fprintf(stderr, "bench_decide_store: %s: decision %zu failed\n", backend, i);
			return 71;
		}
		macext_kext_policy_clear(&row);
		macext_pending_approval_clear(&pend);
		lat[i] = now_ns() - t0;
		counts[d]++;
	}
	total = now_ns() - start;
	macext_trace_free(&t);

	printf("backend %s\n", backend);
	bench_report("  ", n, lat, total, counts);
	return 0;
}

static int bench_backend(const char *backend, const char *path, size_t n, uint64_t *lat)
{
	struct macext_store *s = NULL;
	struct macext_diag diag = {0};
	uint64_t t0 = now_ns();
	int r = macext_store_open(&s, backend, path, MACEXT_STORE_CDHASH, &diag);

	if (r < 0) {
		fprintf(stderr, "bench_decide_store: %s: open: %s\n", backend, diag.msg);
		return 71;
	}
	r = fill(s);
	if (r < 0) {
		fprintf(stderr, "bench_decide_store: %s: filling the store: %s\n", backend,
			macext_store_diag(s)->msg);
		macext_store_close(s);
		return 71;
	}
	printf("%s store: %u kext_policy rows, %u payloads, filled in %.1f ms\n", backend,
	       NAPPROVALS, NPROFILES, (double)(now_ns() - t0) / 1e6);
	r = run(backend, s, n, lat);
	macext_store_close(s);
	return r;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : DEFAULT_DECISIONS;
	const char *tmpdir = getenv("TMPDIR");
	char dir[4096], db[4200], side[4300];
	uint64_t *lat;
	int rc;

	if (n == 0)
		n = DEFAULT_DECISIONS;
	lat = calloc(n, sizeof(*lat));
	if (!lat)
		return 71;
	build_profiles(true);
	rc = bench_backend("memory", NULL, n, lat);
	snprintf(dir, sizeof(dir), "%s/macext-bench.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (rc == 0 && !mkdtemp(dir)) {
		perror("bench_decide_store: mkdtemp");
		rc = 73;
	}
	if (rc == 0) {
		snprintf(db, sizeof(db), "%s/KextPolicy", dir);
		rc = bench_backend("sqlite", db, n, lat);
		unlink(db);
		snprintf(side, sizeof(side), "%s-wal", db);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", db);
		unlink(side);
		rmdir(dir);
	}
	free(lat);
	return rc;
}
