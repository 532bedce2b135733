# Reference values for evaltools.analysis.effects.arms (several arms, covariates), produced with R.
# Run from tests/reference/:  Rscript arms_r.R   (writes arms_r.json and the CSV fixtures)
# Data (public): carData::Baumann (three reading-instruction groups, pretests and post-tests),
# datasets::mtcars (unbalanced: cyl as a 3-level group, wt numeric and am categorical
# covariates), datasets::PlantGrowth (one-way, three groups).
suppressPackageStartupMessages({
  library(jsonlite); library(car); library(emmeans)
})
out <- list(r_version = R.version.string,
            versions = as.list(sapply(c("car", "carData", "emmeans"),
                                      function(p) as.character(packageVersion(p)))))

block <- function(fit, term, call) {
  av <- Anova(fit, type = 2)
  emm <- emmeans(fit, term)
  es <- summary(emm)
  ct <- summary(contrast(emm, method = "trt.vs.ctrl", adjust = "none"), infer = TRUE)
  list(call = call,
       anova = list(term = rownames(av), sum_sq = av[["Sum Sq"]], df = av[["Df"]],
                    statistic = av[["F value"]], p_value = av[["Pr(>F)"]]),
       means = list(group = as.character(es[[term]]), estimate = es$emmean, se = es$SE,
                    df = es$df, ci_low = es$lower.CL, ci_high = es$upper.CL),
       contrasts = list(contrast = as.character(ct$contrast), estimate = ct$estimate,
                        se = ct$SE, df = ct$df, ci_low = ct$lower.CL, ci_high = ct$upper.CL,
                        statistic = ct$t.ratio, p_value = ct$p.value))
}

b <- carData::Baumann
write.csv(b, "baumann.csv", row.names = FALSE)
out$baumann <- block(lm(post.test.1 ~ group + pretest.1, data = b), "group",
  'car::Anova(lm(post.test.1 ~ group + pretest.1, data = Baumann), type = 2); emmeans(fit, "group"); contrast(emm, "trt.vs.ctrl", adjust = "none") (reference Basal)')
out$baumann_cov <- block(lm(post.test.1 ~ group + pretest.1 + pretest.2, data = b), "group",
  'car::Anova(lm(post.test.1 ~ group + pretest.1 + pretest.2, data = Baumann), type = 2); emmeans; contrast trt.vs.ctrl, adjust = "none"')

m <- mtcars
m$cyl <- factor(m$cyl); m$am <- factor(m$am)
write.csv(mtcars[, c("mpg", "cyl", "wt", "am")], "mtcars_arms.csv", row.names = FALSE)
out$mtcars <- block(lm(mpg ~ cyl + wt + am, data = m), "cyl",
  'car::Anova(lm(mpg ~ factor(cyl) + wt + factor(am), data = mtcars), type = 2); emmeans(fit, "cyl") (am averaged with equal weights); contrast trt.vs.ctrl, adjust = "none" (reference 4)')

write.csv(PlantGrowth, "plantgrowth.csv", row.names = FALSE)
out$plantgrowth <- block(lm(weight ~ group, data = PlantGrowth), "group",
  'car::Anova(lm(weight ~ group, data = PlantGrowth), type = 2); emmeans(fit, "group"); contrast trt.vs.ctrl, adjust = "none" (reference ctrl)')
out$plantgrowth$oneway <- with(oneway.test(weight ~ group, data = PlantGrowth, var.equal = TRUE),
  list(statistic = unname(statistic), df = unname(parameter), p_value = p.value))

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "arms_r.json")
