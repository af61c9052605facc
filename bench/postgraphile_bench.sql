-- Read functions PostGraphile 4 exposes as root fields for the bench (bench/run.py), in their own schema.
-- PostGraphile 4 without plugins filters by equality only; these are the idiomatic way ("custom queries")
-- to give it the ltree subtree reads and the trigram name search the registry's queries make.
-- Stable SQL functions of one SELECT are inlined by PostgreSQL into PostGraphile's query.
CREATE SCHEMA IF NOT EXISTS postgraphile_bench;

CREATE OR REPLACE FUNCTION postgraphile_bench.district_open_cases(district_code text)
RETURNS SETOF public.cases LANGUAGE sql STABLE AS $$
  SELECT c.* FROM public.cases c
  WHERE c.path <@ (SELECT j.path FROM public.jurisdictions j WHERE j.code = district_code)
    AND c.stage <> 'CLOSED'
  ORDER BY c.opened_at DESC, c.id DESC
$$;

-- Open cases per district read from the same rollup table the registry's caseStatistics reads
-- (case_counts, cuboid 2: district path x sex x age band x open); a live count over cases takes ~0.5-1 s.
CREATE OR REPLACE FUNCTION postgraphile_bench.open_cases_per_district(province_code text)
RETURNS TABLE (code text, open_cases bigint) LANGUAGE sql STABLE AS $$
  SELECT d.code::text, coalesce(sum(cc.n), 0)::bigint
  FROM public.jurisdictions p
  JOIN public.jurisdictions d ON d.path <@ p.path AND d.level = 'DISTRICT'
  LEFT JOIN public.case_counts cc ON cc.cuboid = 2 AND cc.path = d.path AND cc.is_open
  WHERE p.code = province_code
  GROUP BY d.code
  ORDER BY d.code
$$;

CREATE OR REPLACE FUNCTION postgraphile_bench.search_children(name text)
RETURNS SETOF public.child_identities LANGUAGE sql STABLE AS $$
  SELECT i.* FROM public.child_identities i
  WHERE i.full_name % name
  ORDER BY similarity(i.full_name, name) DESC, i.child_id
$$;
