-- Written by hand, like 0004 (drizzle-kit does not know the generated `search` column).
--
-- Whether a word search reads the GIN index or walks the newest-first index filtering every row depends on
-- how many tickets the planner thinks hold the words: a rare word ("Zénith") must be read from the GIN index,
-- or a search for it walks the whole list. ANALYZE samples 300 rows per unit of statistics target; at the
-- default 100 the words' frequencies came from 30,000 random rows and were sometimes far off, and the plan
-- flipped from one ANALYZE to the next. 1000 reads 300,000 rows (the whole table, up to that size) and keeps
-- ten times as many words' frequencies, so a rare word is known to be rare.
ALTER TABLE "tickets" ALTER COLUMN "search" SET STATISTICS 1000;
