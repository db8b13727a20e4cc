#pragma once
/*
 * bench/bench_common.h: the workload and the report shared by bench/decide.c and
 * bench/decide_store.c (one translation unit each; everything here is static).
 *
 * 1,000 teams of 10 kexts (T000000000.., com.vendorT.kextK), 50 installed
 * kernel-extension-policy payloads each allowing 5 teams (of the unapproved range) and
 * 2 teams x 3 kexts, and decision I's facts: approved or unapproved, MDM-allowed and
 * deprecated-KPI kexts on 10.15.7, 11.7 and 14.0.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macext/policy.h"

#define NTEAMS 1000
#define KEXTS_PER_TEAM 10
#define NAPPROVALS (NTEAMS * KEXTS_PER_TEAM)
#define NPROFILES 50
#define T_NOW INT64_C(1700000000)

static inline void team_name(char buf[11], unsigned n)
{
	snprintf(buf, 11, "T%09u", n);
}

static char pteams[NPROFILES][5][11];
static const char *pteam_ptrs[NPROFILES][5];
static char pkext_ids[NPROFILES][2][3][40];
static const char *pkext_ptrs[NPROFILES][2][3];
static char pkext_teams[NPROFILES][2][11];
static char puuids[NPROFILES][37];
static struct macext_mdm_kext_team pkexts[NPROFILES][2];
static struct macext_mdm_kext_payload payloads[NPROFILES];

/* The 50 payloads; DISTINCT_UUIDS gives each its own payload UUID (else all zeros). */
static inline void build_profiles(bool distinct_uuids)
{
	for (unsigned p = 0; p < NPROFILES; p++) {
		for (unsigned i = 0; i < 5; i++) {
			team_name(pteams[p][i], 100000 + p * 5 + i);
			pteam_ptrs[p][i] = pteams[p][i];
		}
		snprintf(puuids[p], sizeof(puuids[p]), "00000000-0000-4000-8000-%012u", p);
		for (unsigned k = 0; k < 2; k++) {
			team_name(pkext_teams[p][k], 200000 + p * 2 + k);
			for (unsigned b = 0; b < 3; b++) {
				snprintf(pkext_ids[p][k][b], 40, "com.mdm%u.kext%u", p * 2 + k, b);
				pkext_ptrs[p][k][b] = pkext_ids[p][k][b];
			}
			pkexts[p][k] = (struct macext_mdm_kext_team){pkext_teams[p][k],
								     pkext_ptrs[p][k], 3};
		}
		payloads[p] = (struct macext_mdm_kext_payload){
			.profile_id = "com.bench.kexts",
			.payload_uuid = distinct_uuids ? puuids[p]
						       : "00000000-0000-0000-0000-000000000000",
			.allowed_teams = pteam_ptrs[p],
			.nallowed_teams = 5,
			.allowed_kexts = pkexts[p],
			.nallowed_kexts = 2,
			.allow_user_overrides = MACEXT_TRUE,
			.allow_non_admin_user_approvals = MACEXT_UNSET,
		};
	}
}

/* The facts of decision I, without approval, scope or pending block; TEAM and BUNDLE get
 * its Team ID and bundle ID, *TEAM_NO the team's number. */
static inline void bench_facts(struct macext_facts *f, size_t i, char team[11],
			       char bundle[40], unsigned *team_no)
{
	static const struct macext_kpi_fact kauth = {"kauth", true, false, "symbols _kauth"};
	static const struct macext_macos_version versions[] = {{10, 15, 7}, {11, 7, 0}, {14, 0, 0}};
	unsigned kind = (unsigned)(i % 8), x = (unsigned)((i * 2654435761u) % 100000u);

	memset(f, 0, sizeof(*f));
	f->macos = versions[i % 3];
	f->platform = MACEXT_PLATFORM_X86_64_T2;
	f->enrollment = MACEXT_ENROLL_ADE;
	f->now = T_NOW;
	if (kind < 5) { /* kexts with a row (approved ones in bench/decide.c) */
		*team_no = x % NTEAMS;
		snprintf(bundle, 40, "com.vendor%u.kext%u", *team_no,
			 (x / NTEAMS) % KEXTS_PER_TEAM);
	} else if (kind < 7) { /* MDM-allowed by team, or unknown */
		*team_no = 100000 + x % (NPROFILES * 5 + 50);
		snprintf(bundle, 40, "com.other%u.kext", x);
	} else { /* listed in AllowedKernelExtensions */
		*team_no = 200000 + x % (NPROFILES * 2);
		snprintf(bundle, 40, "com.mdm%u.kext%u", x % (NPROFILES * 2), x % 3);
	}
	team_name(team, *team_no);
	f->kext.bundle_id = bundle;
	f->kext.version = "1.0.0";
	f->kext.path = "/Library/Extensions/Bench.kext";
	f->kext.location = MACEXT_KEXT_LOC_LIBRARY_EXTENSIONS;
	f->sig.kind = MACEXT_CS_DEVELOPER_ID;
	f->sig.valid = f->sig.kext_marker = true;
	f->sig.team_id = team;
	f->sig.developer_name = "Bench Corp";
	f->sig.cdhash = "1111111111111111111111111111111111111111";
	if (i % 16 == 3) {
		f->kpi = &kauth;
		f->nkpi = 1;
	}
	f->consent.enabled = true;
	f->mdm = payloads;
	f->nmdm = NPROFILES;
	f->user.name = "admin";
	f->user.admin = true;
	f->auxkc.in_booted = i % 2 == 0;
}

static inline int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sorts the N latencies LAT and prints the run's figures, each line starting with INDENT. */
static inline void bench_report(const char *indent, size_t n, uint64_t *lat, uint64_t total,
				const unsigned counts[4])
{
	int w = 18 - (int)strlen(indent);

	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("%s%-*s%zu (approvals %u, profiles %u)\n", indent, w, "decisions:", n, NAPPROVALS,
	       NPROFILES);
	printf("%s%-*s%.0f\n", indent, w, "decisions/s:", (double)n * 1e9 / (double)total);
	printf("%s%-*s%.2f us\n", indent, w, "latency p50:", (double)lat[n / 2] / 1000.0);
	printf("%s%-*s%.2f us\n", indent, w, "latency p99:", (double)lat[n * 99 / 100] / 1000.0);
	printf("%s%-*s%.2f us\n", indent, w, "latency max:", (double)lat[n - 1] / 1000.0);
	printf("%s%-*sallow %u, deny %u, needs-approval %u, needs-restart %u\n", indent, w,
	       "outcomes:", counts[MACEXT_DECISION_ALLOW], counts[MACEXT_DECISION_DENY],
	       counts[MACEXT_DECISION_NEEDS_APPROVAL], counts[MACEXT_DECISION_NEEDS_RESTART]);
}
