# Reference values for evaltools.effects, produced with R.
# Run from tests/reference/:  Rscript effects_r.R   (writes effects_r.json)
# Data: MASS::anorexia, nlme::Orthodont, datasets::sleep (public), effects_sim.csv (simulated by
# make_effects_sim.py).
suppressPackageStartupMessages({
  library(jsonlite); library(effectsize); library(lme4); library(car)
  library(sandwich); library(lmtest); library(mice); library(MASS); library(nlme)
})
out <- list(r_version = R.version.string,
            versions = as.list(sapply(c("effectsize", "lme4", "car", "sandwich", "lmtest", "mice",
                                "MASS", "nlme"), function(p) as.character(packageVersion(p)))))

paired_block <- function(pre, post, call) {
  tt <- t.test(post, pre, paired = TRUE)
  wt <- suppressWarnings(wilcox.test(post, pre, paired = TRUE))
  d <- cohens_d(post, pre, paired = TRUE)
  list(call = call, n = length(pre), mean_change = mean(post - pre),
       statistic = unname(tt$statistic), df = unname(tt$parameter), p_value = tt$p.value,
       ci_low = tt$conf.int[1], ci_high = tt$conf.int[2],
       wilcoxon_statistic = unname(wt$statistic), wilcoxon_p_value = wt$p.value,
       d_z = d$Cohens_d, d_z_ci_low = d$CI_low, d_z_ci_high = d$CI_high,
       r_pre_post = cor(pre, post))
}
# sleep: extra sleep under drug 1 (pre) and drug 2 (post), 10 patients; ties -> normal approx
s1 <- sleep$extra[sleep$group == 1]; s2 <- sleep$extra[sleep$group == 2]
out$paired_sleep <- paired_block(s1, s2, "t.test(post, pre, paired = TRUE); wilcox.test(...); cohens_d(post, pre, paired = TRUE)")
out$paired_sleep$pre <- s1; out$paired_sleep$post <- s2
# anorexia, family therapy: 17 girls, no ties -> exact Wilcoxon
ft <- anorexia[anorexia$Treat == "FT", ]
out$paired_anorexia_ft <- paired_block(ft$Prewt, ft$Postwt, "same calls on MASS::anorexia, Treat == 'FT'")
out$paired_anorexia_ft$pre <- ft$Prewt; out$paired_anorexia_ft$post <- ft$Postwt

# ANCOVA and DiD: anorexia, FT (intervention) vs Cont (comparison)
a <- anorexia[anorexia$Treat %in% c("FT", "Cont"), ]
a$treated <- as.numeric(a$Treat == "FT")
m <- lm(Postwt ~ treated + Prewt, data = a)
av <- Anova(m, type = 2)
did <- lm(I(Postwt - Prewt) ~ treated, data = a)
d_post <- cohens_d(a$Postwt[a$treated == 1], a$Postwt[a$treated == 0])
out$anorexia <- list(
  pre_t = a$Prewt[a$treated == 1], post_t = a$Postwt[a$treated == 1],
  pre_c = a$Prewt[a$treated == 0], post_c = a$Postwt[a$treated == 0],
  call_ancova = "lm(Postwt ~ treated + Prewt); car::Anova(m, type = 2)",
  ancova_estimate = unname(coef(m)["treated"]),
  ancova_se = unname(sqrt(diag(vcov(m)))["treated"]),
  ancova_df = m$df.residual, ancova_ci = unname(confint(m)["treated", ]),
  ancova_p = summary(m)$coefficients["treated", 4],
  anova_f = av["treated", "F value"], anova_p = av["treated", "Pr(>F)"],
  call_did = "lm(I(Postwt - Prewt) ~ treated)",
  did_estimate = unname(coef(did)["treated"]),
  did_se = unname(sqrt(diag(vcov(did)))["treated"]),
  did_p = summary(did)$coefficients["treated", 4], did_ci = unname(confint(did)["treated", ]),
  call_d = "effectsize::cohens_d(post_t, post_c)",
  cohens_d_post = d_post$Cohens_d)

# Mixed model: nlme::Orthodont, distance by age (4 waves) and sex
o <- as.data.frame(Orthodont)
write.csv(data.frame(Subject = as.character(o$Subject), age = o$age, distance = o$distance, Sex = ifelse(o$Sex == "Male", "Male", "Female")), "orthodont.csv", row.names = FALSE)
o$wave <- factor(o$age); o$treated <- as.numeric(o$Sex == "Male")
fm <- lmer(distance ~ wave * treated + (1 | Subject), data = o, REML = TRUE)
vc <- as.data.frame(VarCorr(fm))
cf <- summary(fm)$coefficients
out$orthodont <- list(
  call = "lme4::lmer(distance ~ factor(age) * male + (1 | Subject), REML = TRUE)",
  terms = rownames(cf), estimate = unname(cf[, 1]), se = unname(cf[, 2]),
  var_subject = vc$vcov[vc$grp == "Subject"], var_residual = vc$vcov[vc$grp == "Residual"])
ols <- lm(distance ~ wave * treated, data = o)
vcl <- vcovCL(ols, cluster = ~Subject, type = "HC1")
G <- length(unique(o$Subject))
ct <- coeftest(ols, vcov. = vcl, df = G - 1)
out$orthodont_cluster <- list(
  call = "coeftest(lm(distance ~ factor(age) * male), vcovCL(., cluster = ~Subject, type = 'HC1'), df = G - 1)",
  terms = rownames(ct), estimate = unname(ct[, 1]), se = unname(ct[, 2]),
  p_value = unname(ct[, 4]))

# Simulated three-wave study with sites and subgroups
s <- read.csv("effects_sim.csv")
s$wave <- factor(s$wave); s$treated <- as.numeric(s$group == "interventie")
fs <- lmer(y ~ wave * treated + (1 | site) + (1 | site:respondent), data = s, REML = TRUE)
vs <- as.data.frame(VarCorr(fs)); cs <- summary(fs)$coefficients
out$sim_site <- list(
  call = "lmer(y ~ wave * treated + (1 | site) + (1 | site:respondent), REML = TRUE)",
  terms = rownames(cs), estimate = unname(cs[, 1]), se = unname(cs[, 2]),
  var_site = vs$vcov[vs$grp == "site"], var_respondent = vs$vcov[vs$grp == "site:respondent"],
  var_residual = vs$vcov[vs$grp == "Residual"])
fr <- lmer(y ~ wave * treated + (1 | respondent), data = s, REML = TRUE)
vr <- as.data.frame(VarCorr(fr)); cr <- summary(fr)$coefficients
out$sim_respondent <- list(
  call = "lmer(y ~ wave * treated + (1 | respondent), REML = TRUE)",
  terms = rownames(cr), estimate = unname(cr[, 1]), se = unname(cr[, 2]),
  var_respondent = vr$vcov[vr$grp == "respondent"], var_residual = vr$vcov[vr$grp == "Residual"])
ols_s <- lm(y ~ wave * treated, data = s)
ct_s <- coeftest(ols_s, vcov. = vcovCL(ols_s, cluster = ~site, type = "HC1"), df = 4 - 1)
out$sim_cluster_site <- list(
  call = "coeftest(lm(y ~ wave * treated), vcovCL(., cluster = ~site, type = 'HC1'), df = 3)",
  terms = rownames(ct_s), estimate = unname(ct_s[, 1]), se = unname(ct_s[, 2]),
  p_value = unname(ct_s[, 4]))
# subgroup interaction: baseline and t1 pairs
w0 <- s[s$wave == "t0", c("respondent", "treated", "subgroup", "y")]
w1 <- s[s$wave == "t1", c("respondent", "y")]
pp <- merge(w0, w1, by = "respondent", suffixes = c("_pre", "_post"))
mi <- lm(y_post ~ treated * subgroup + y_pre, data = pp)
ai <- Anova(mi, type = 2)
per <- lapply(split(pp, pp$subgroup), function(d) {
  f <- lm(y_post ~ treated + y_pre, data = d)
  c(estimate = unname(coef(f)["treated"]), se = unname(sqrt(diag(vcov(f)))["treated"]))
})
out$sim_subgroup <- list(
  call = "car::Anova(lm(y_post ~ treated * subgroup + y_pre), type = 2); lm(y_post ~ treated + y_pre) per subgroup",
  interaction_f = ai["treated:subgroup", "F value"], interaction_df = ai["treated:subgroup", "Df"],
  interaction_p = ai["treated:subgroup", "Pr(>F)"], df_residual = mi$df.residual,
  per_subgroup = per)

# Multiplicity and Rubin's rules
p <- c(0.001, 0.012, 0.02, 0.03, 0.04, 0.2, 0.5, 0.049)
out$padjust <- list(call = "p.adjust(p, 'holm'); p.adjust(p, 'BH')", p = p,
                    holm = p.adjust(p, "holm"), bh = p.adjust(p, "BH"))
Q <- c(0.31, 0.28, 0.35, 0.30, 0.27, 0.33)
U <- c(0.0040, 0.0042, 0.0039, 0.0041, 0.0043, 0.0040)
ps <- pool.scalar(Q, U, n = 500, k = 3)
ps_inf <- pool.scalar(Q, U)
out$rubin <- list(call = "mice::pool.scalar(Q, U, n = 500, k = 3); mice::pool.scalar(Q, U)",
                  Q = Q, U = U, qbar = ps$qbar, ubar = ps$ubar, b = ps$b, t = ps$t,
                  df = ps$df, df_large_sample = ps_inf$df)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "effects_r.json")
