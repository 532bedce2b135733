# The same mixed model in R lme4, for comparison with benchmarks/mixed_model.py.
#   .venv/bin/python benchmarks/mixed_model.py --keep /tmp/lmm
#   Rscript benchmarks/mixed_model_lme4.R /tmp/lmm
suppressPackageStartupMessages(library(lme4))
folder <- commandArgs(trailingOnly = TRUE)[1]
for (file in sort(Sys.glob(file.path(folder, "panel_*.csv")))) {
  d <- read.csv(file)
  d$wave <- factor(d$wave); d$treated <- as.numeric(d$group == "interventie")
  t <- system.time(fit <- lmer(brs ~ wave * treated + (1 | respondent_id), data = d,
                               REML = TRUE))
  cf <- fixef(fit)
  cat(sprintf("%s: %d observations, lmer %.1f s; wavet1:treated = %.4f, wavet2:treated = %.4f\n",
              basename(file), nrow(d), t[["elapsed"]], cf[["wavet1:treated"]],
              cf[["wavet2:treated"]]))
}
cat(R.version.string, "lme4", as.character(packageVersion("lme4")), "\n")
