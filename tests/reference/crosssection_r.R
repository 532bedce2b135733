# Reference values for evaltools.analysis.robust (CR2 cluster-robust standard errors with
# Satterthwaite degrees of freedom) and evaltools.analysis.effects.crosssection (difference in
# differences on repeated cross-sections), produced with R clubSandwich.
# Run from tests/reference/:  Rscript crosssection_r.R   (writes crosssection_r.json and
# achievement_awards.csv)
# Data: clubSandwich::AchievementAwardsRCT (Angrist & Lavy 2009): Israeli high-school students,
# a new cohort every year (a repeated cross-section), 35 schools in this subset (the clusters), cash awards for
# passing the Bagrut in the treated schools. Kept: girls, years 2000-2002.
suppressPackageStartupMessages({library(jsonlite); library(clubSandwich); library(lmerTest)})
d <- as.data.frame(clubSandwich::AchievementAwardsRCT)
d <- d[d$sex == "Girl" & d$year %in% c("2000", "2001", "2002"),
       c("school_id", "school_type", "treated", "year", "Bagrut_status", "attempted")]
d$year <- as.integer(as.character(d$year))
write.csv(d, "achievement_awards.csv", row.names = FALSE)
d <- read.csv("achievement_awards.csv")
d$post <- as.numeric(d$year == 2001)

block <- function(formula, data, call) {
  fit <- lm(formula, data = data)
  V <- vcovCR(fit, cluster = data$school_id, type = "CR2")
  ct <- coef_test(fit, vcov = V, test = "Satterthwaite")
  list(call = call, n = nrow(data), n_clusters = length(unique(data$school_id)),
       terms = names(coef(fit)), estimate = unname(coef(fit)), se = unname(ct$SE),
       df = unname(ct$df_Satt), p_value = unname(ct$p_Satt), vcov = unname(as.matrix(V)))
}
two <- d[d$year %in% c(2000, 2001), ]
secular <- two[two$school_type == "Secular", ]
out <- list(
  r_version = R.version.string,
  versions = as.list(sapply(c("clubSandwich", "lme4", "lmerTest", "jsonlite"),
                            function(p) as.character(packageVersion(p)))),
  data = "clubSandwich::AchievementAwardsRCT, sex == 'Girl', year 2000-2002 (achievement_awards.csv)",
  did_2x2 = block(Bagrut_status ~ treated * post, two,
    "coef_test(lm(Bagrut_status ~ treated * post, year %in% 2000:2001), vcov = vcovCR(fit, cluster = school_id, type = 'CR2'), test = 'Satterthwaite')"),
  did_secular = block(Bagrut_status ~ treated * post, secular,
    "same as did_2x2 on school_type == 'Secular' (19 schools)"),
  did_waves = block(attempted ~ factor(year) * treated, d,
    "coef_test(lm(attempted ~ factor(year) * treated), vcov = vcovCR(fit, cluster = school_id, type = 'CR2'), test = 'Satterthwaite')"),
  did_school_fe = block(Bagrut_status ~ factor(school_id) + post + treated:post, two,
    "coef_test(lm(Bagrut_status ~ factor(school_id) + post + treated:post, year %in% 2000:2001), vcov = vcovCR(fit, cluster = school_id, type = 'CR2'), test = 'Satterthwaite')")
)
# The mixed model of a repeated cross-section: a random intercept per school and per school and
# year (nobody is measured twice, so no respondent term), by REML, Satterthwaite df.
ctrl <- lmerControl(optimizer = "nloptwrap",
                    optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-14, xtol_rel = 1e-12,
                                   maxeval = 1e5))
d$w1 <- as.numeric(d$year == 2001); d$w2 <- as.numeric(d$year == 2002)
mm <- lmerTest::lmer(attempted ~ (w1 + w2) * treated + (1 | school_id) + (1 | school_id:year),
                     data = d, REML = TRUE, control = ctrl)
cf <- summary(mm, ddf = "Satterthwaite")$coefficients
vc <- as.data.frame(VarCorr(mm))
out$lmm_school_year <- list(
  call = "lmerTest::lmer(attempted ~ (w1 + w2) * treated + (1 | school_id) + (1 | school_id:year), REML = TRUE, control = ctrl)",
  control = "lmerControl(optimizer = 'nloptwrap', optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-14, xtol_rel = 1e-12, maxeval = 1e5))",
  terms = rownames(cf), estimate = unname(cf[, "Estimate"]), se = unname(cf[, "Std. Error"]),
  df = unname(cf[, "df"]), vc_grp = vc$grp, vc_vcov = vc$vcov)
# The same data analysed as if it were a panel design: every respondent has one observation,
# so lme4 cannot have (1 | school_id:student); the school intercept alone remains.
m1 <- lmerTest::lmer(attempted ~ (w1 + w2) * treated + (1 | school_id), data = d, REML = TRUE,
                     control = ctrl)
cf <- summary(m1, ddf = "Satterthwaite")$coefficients
vc <- as.data.frame(VarCorr(m1))
out$lmm_school <- list(
  call = "lmerTest::lmer(attempted ~ (w1 + w2) * treated + (1 | school_id), REML = TRUE, control = ctrl)",
  terms = rownames(cf), estimate = unname(cf[, "Estimate"]), se = unname(cf[, "Std. Error"]),
  df = unname(cf[, "df"]), vc_grp = vc$grp, vc_vcov = vc$vcov)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "crosssection_r.json")
