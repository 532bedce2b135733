# Reference values for evaltools.analysis.lmm (the mixed-model engine), produced with R.
# Run from tests/reference/:  Rscript lmm_r.R   (writes lmm_r.json, sleepstudy.csv, pastes.csv)
# Data: lme4::sleepstudy (Belenky et al. 2003), nlme::Orthodont (orthodont.csv, Potthoff & Roy
# 1964), lme4::Pastes (Davies & Goldsmith 1972: samples nested in casks nested in batches) and
# the project's simulated three-wave study with four sites (effects_sim.csv) and the demo study
# with four sites (demo_sites_brs.csv: `evaltools demo DIR --sites 4`, ingested, the panel's
# brs score; respondent pseudonyms replaced by r0000.., one row per respondent and wave).
# Every model is fitted by REML and by ML with lmerTest::lmer (lme4 underneath) and a tight
# optimiser tolerance, so that the reference optimum is precise to far below 1e-5.
suppressPackageStartupMessages({library(jsonlite); library(lme4); library(lmerTest)})
ctrl <- lmerControl(optimizer = "nloptwrap",
                    optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-14, xtol_rel = 1e-12,
                                   maxeval = 1e5))
write.csv(lme4::sleepstudy, "sleepstudy.csv", row.names = FALSE)
write.csv(lme4::Pastes, "pastes.csv", row.names = FALSE)
sleep <- read.csv("sleepstudy.csv")
ortho <- read.csv("orthodont.csv"); ortho$male <- as.numeric(ortho$Sex == "Male")
pastes <- read.csv("pastes.csv")
sim <- read.csv("effects_sim.csv")
sim$treated <- as.numeric(sim$group == "interventie")
sim$w1 <- as.numeric(sim$wave == "t1"); sim$w2 <- as.numeric(sim$wave == "t2")
sim$time <- c(t0 = 0, t1 = 1, t2 = 2)[sim$wave]
demo <- read.csv("demo_sites_brs.csv")
demo$treated <- as.numeric(demo$group == "interventie")
demo$w1 <- as.numeric(demo$wave == "t1"); demo$w2 <- as.numeric(demo$wave == "t2")

block <- function(formula, data, reml) {
  fit <- lmerTest::lmer(formula, data = data, REML = reml, control = ctrl)
  cf <- summary(fit, ddf = "Satterthwaite")$coefficients
  vc <- as.data.frame(VarCorr(fit))
  list(call = sprintf("lmerTest::lmer(%s, REML = %s, control = ctrl)",
                      paste(deparse(formula), collapse = ""), reml),
       reml = reml, terms = rownames(cf), estimate = unname(cf[, "Estimate"]),
       se = unname(cf[, "Std. Error"]), df = unname(cf[, "df"]),
       statistic = unname(cf[, "t value"]), p_value = unname(cf[, "Pr(>|t|)"]),
       theta = unname(getME(fit, "theta")), sigma = sigma(fit),
       vc_grp = vc$grp, vc_var1 = ifelse(is.na(vc$var1), "", vc$var1),
       vc_var2 = ifelse(is.na(vc$var2), "", vc$var2), vc_vcov = vc$vcov,
       loglik = as.numeric(logLik(fit)), singular = isSingular(fit))
}
models <- list(
  sleepstudy_slope = list(Reaction ~ Days + (Days | Subject), sleep),
  sleepstudy_intercept = list(Reaction ~ Days + (1 | Subject), sleep),
  orthodont_slope = list(distance ~ age * male + (age | Subject), ortho),
  orthodont_wave = list(distance ~ factor(age) * male + (1 | Subject), ortho),
  pastes_nested = list(strength ~ 1 + (1 | batch) + (1 | batch:cask), pastes),
  sim_site = list(y ~ (w1 + w2) * treated + (1 | site) + (1 | site:respondent), sim),
  sim_site_slope = list(y ~ time * treated + (1 | site) + (1 + time | respondent), sim),
  demo_site = list(brs ~ (w1 + w2) * treated + (1 | site) + (1 | site:respondent_id), demo))
out <- list(r_version = R.version.string,
            versions = as.list(sapply(c("lme4", "lmerTest", "nloptr", "jsonlite"),
                                      function(p) as.character(packageVersion(p)))),
            control = "lmerControl(optimizer = 'nloptwrap', optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-14, xtol_rel = 1e-12, maxeval = 1e5))")
for (name in names(models)) {
  m <- models[[name]]
  out[[paste0(name, "_reml")]] <- block(m[[1]], m[[2]], TRUE)
  out[[paste0(name, "_ml")]] <- block(m[[1]], m[[2]], FALSE)
}
# Likelihood-ratio test of the random slope (anova refits both models by ML)
m0 <- lme4::lmer(Reaction ~ Days + (1 | Subject), data = sleep, REML = FALSE, control = ctrl)
m1 <- lme4::lmer(Reaction ~ Days + (Days | Subject), data = sleep, REML = FALSE, control = ctrl)
a <- anova(m0, m1)
out$lrt_sleepstudy <- list(call = "anova(lmer(Reaction ~ Days + (1 | Subject), REML = FALSE), lmer(Reaction ~ Days + (Days | Subject), REML = FALSE))",
                           statistic = a$Chisq[2], df = a$Df[2], p_value = a$`Pr(>Chisq)`[2],
                           loglik = a$logLik)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "lmm_r.json")
