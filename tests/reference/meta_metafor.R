# Reference values for evaltools.synthesis (random-effects meta-analysis), produced with R.
# Run from tests/reference/:  Rscript meta_metafor.R   (writes meta_metafor.json)
# Data (public, shipped with metafor): dat.bcg (BCG vaccine trials; log risk ratios by
# escalc("RR")), dat.normand1999 (stroke care; standardised mean differences by escalc("SMD")),
# and the first 4 trials of dat.bcg (a small-k case). Both yi and vi are written beside the
# results, so the tests need neither R nor metafor.
# Convergence is tightened (threshold 1e-12) so that the REML values are exact to far below
# the 1e-5 the tests ask for; metafor's default stops at a change in tau^2 below 1e-5.
suppressPackageStartupMessages({ library(jsonlite); library(metafor) })
out <- list(r_version = R.version.string, metafor = as.character(packageVersion("metafor")))
ctrl <- list(threshold = 1e-12, maxiter = 1000)

fit_block <- function(yi, vi, method, test, call) {
  m <- rma(yi, vi, method = method, test = test, control = ctrl)
  p <- predict(m)
  l <- leave1out(m)
  list(call = call, method = method, test = test, k = m$k,
       estimate = as.numeric(m$b), se = m$se, ci_low = m$ci.lb, ci_high = m$ci.ub,
       statistic = m$zval, p_value = m$pval,
       tau2 = m$tau2, i2 = m$I2, h2 = m$H2, q = m$QE, q_p = m$QEp,
       pi_low = p$pi.lb, pi_high = p$pi.ub,
       loo_estimate = l$estimate, loo_se = l$se, loo_ci_low = l$ci.lb, loo_ci_high = l$ci.ub,
       loo_p_value = l$pval, loo_q = l$Q, loo_tau2 = l$tau2, loo_i2 = l$I2)
}
datasets <- list(
  bcg = escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg),
  normand = escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i,
                   sd2i = sd2i, n2i = n2i, data = dat.normand1999),
  bcg4 = escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg,
                data = dat.bcg[1:4, ]))
calls <- list(
  bcg = 'escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)',
  normand = 'escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat.normand1999)',
  bcg4 = 'escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg[1:4, ])')
for (name in names(datasets)) {
  d <- datasets[[name]]
  block <- list(data_call = calls[[name]], yi = as.numeric(d$yi), vi = as.numeric(d$vi))
  for (method in c("REML", "DL")) for (test in c("z", "knha")) {
    call <- sprintf('rma(yi, vi, method = "%s", test = "%s", control = list(threshold = 1e-12, maxiter = 1000)); predict(m); leave1out(m)', method, test)
    block[[paste(method, test, sep = "_")]] <- fit_block(d$yi, d$vi, method, test, call)
  }
  out[[name]] <- block
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "meta_metafor.json")
