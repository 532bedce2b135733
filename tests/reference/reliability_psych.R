# Reference values for evaltools.reliability, produced with R psych.
# Run from tests/reference/:  Rscript reliability_psych.R
# Writes bfi_ac.csv (the data used) and reliability_psych.json (the values).
suppressPackageStartupMessages({library(psych); library(jsonlite)})
data(bfi, package = "psych")
items <- c(paste0("A", 1:5), paste0("C", 1:5))
d <- bfi[complete.cases(bfi[, items]), items]
write.csv(d, "bfi_ac.csv", row.names = FALSE)
scored <- d
for (v in c("A1", "C4", "C5")) scored[[v]] <- 7 - scored[[v]]   # 6-point items: 7 - x
out <- list(
  r_version = R.version.string,
  psych_version = as.character(packageVersion("psych")),
  gparotation_version = as.character(packageVersion("GPArotation")),
  data = "psych::bfi, items A1-A5 and C1-C5, complete cases; A1, C4, C5 reversed as 7 - x",
  n = nrow(d),
  scales = list()
)
for (s in list(list(id = "agreeableness", items = paste0("A", 1:5)),
               list(id = "conscientiousness", items = paste0("C", 1:5)))) {
  x <- scored[, s$items]
  a <- psych::alpha(x)                       # call: psych::alpha(x)
  o <- psych::omega(x, nfactors = 1, plot = FALSE)  # call: psych::omega(x, nfactors = 1)
  out$scales[[s$id]] <- list(
    items = s$items,
    call_alpha = "psych::alpha(x)",
    call_omega = "psych::omega(x, nfactors = 1, plot = FALSE)",
    raw_alpha = a$total$raw_alpha,
    feldt_lower = a$feldt$lower.ci[[1]],
    feldt_upper = a$feldt$upper.ci[[1]],
    r_drop = unname(a$item.stats$r.drop),
    alpha_if_deleted = unname(a$alpha.drop$raw_alpha),
    item_mean = unname(a$item.stats$mean),
    item_sd = unname(a$item.stats$sd),
    omega_total = o$omega.tot
  )
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "reliability_psych.json")
