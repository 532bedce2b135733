"""Report language: Dutch (default) and English texts, and numbers in the locale's format.

Every text a report shows comes from :data:`TEXTS` through :func:`t`, so a report is entirely in
one language. Numbers: Dutch uses a decimal comma and a point between thousands (``1.234,5``),
English the reverse (``1,234.5``).
"""

from __future__ import annotations

import math

from evaltools.core.text import Language

__all__ = ["t", "number", "percent", "interval", "TEXTS", "QUOTED_TERMS"]

TEXTS: dict[str, tuple[str, str]] = {
    # planning report (evaltools.reports.planning)
    "plan.title": ("Planning: steekproefgrootte en onderscheidend vermogen",
                   "Planning: sample size and power"),
    "plan.question": ("De vraag", "The question"),
    "plan.question_text": (
        "Hoeveel deelnemers{clusters} zijn nodig om een effect van {effect} standaarddeviatie "
        "met een kans van {power} te vinden (onderscheidend vermogen), in een {design}?",
        "How many participants{clusters} are needed to find an effect of {effect} standard "
        "deviations with a probability of {power} (power), in a {design}?"),
    "plan.clusters_part": (" en clusters (wijken, locaties)", " and clusters (neighbourhoods, "
                                                              "sites)"),
    "plan.answer": ("Het antwoord", "The answer"),
    "plan.answer_individual": (
        "Werf {n} deelnemers; na uitval blijven er naar verwachting {analysed} over.",
        "Enrol {n} participants; after dropout about {analysed} are expected to remain."),
    "plan.answer_cluster": (
        "Werf {clusters} clusters van {size} deelnemers ({n} deelnemers in totaal).",
        "Enrol {clusters} clusters of {size} participants ({n} participants in all)."),
    "plan.answer_planned": (
        "Met de geplande omvang ({n} deelnemers) is het onderscheidend vermogen {power} en "
        "het kleinste aantoonbare effect (MDES) {mdes} standaarddeviatie.",
        "With the planned size ({n} participants) the power is {power} and the minimum "
        "detectable effect size (MDES) is {mdes} standard deviations."),
    "plan.assumptions": ("Aannames", "Assumptions"),
    "plan.assumption": ("Aanname", "Assumption"),
    "plan.value": ("Waarde", "Value"),
    "plan.curve": ("Onderscheidend vermogen naar steekproefgrootte",
                   "Power by sample size"),
    "plan.curve_alt": ("Figuur: het onderscheidend vermogen (verticaal) naar {xlabel} "
                       "(horizontaal); de stippellijn is het gewenste vermogen {target}.",
                       "Figure: power (vertical) by {xlabel} (horizontal); the dotted line is "
                       "the power wanted, {target}."),
    "plan.curve_note": ("De stippellijn is het gewenste onderscheidend vermogen.",
                        "The dotted line is the power wanted."),
    "plan.size_persons": ("Deelnemers (geworven)", "Participants (enrolled)"),
    "plan.size_clusters": ("Clusters (geworven)", "Clusters (enrolled)"),
    "plan.power": ("Onderscheidend vermogen", "Power"),
    "plan.choices": ("Kleinste aantoonbaar effect per ontwerpkeuze",
                     "Minimum detectable effect per design choice"),
    "plan.choice": ("Keuze", "Choice"),
    "plan.design": ("Ontwerp", "Design"),
    "plan.mdes": ("MDES", "MDES"),
    "plan.inputs": ("Aannames uit eerdere gegevens", "Assumptions from earlier data"),
    "plan.inputs_text": (
        "Geschat uit een eerder onderzoek: ICC tussen locaties (one-way ANOVA), correlatie "
        "voor-nameting en uitval per meting.",
        "Estimated from an earlier study: ICC between sites (one-way ANOVA), pre-post "
        "correlation and dropout per wave."),
    "plan.simulation": ("Controle door simulatie", "Check by simulation"),
    "plan.simulation_text": (
        "{n_sims} gesimuleerde onderzoeken, geanalyseerd met {estimator}: onderscheidend "
        "vermogen {power} (Monte-Carlo-SE {power_se}), dekking van het 95%-interval {coverage}, "
        "bias {bias}.",
        "{n_sims} simulated studies, analysed with {estimator}: power {power} (Monte Carlo SE "
        "{power_se}), coverage of the 95% interval {coverage}, bias {bias}."),
    "plan.method": ("Methode", "Method"),
    "plan.method_text": (
        "Onderscheidend vermogen met de niet-centrale t-verdeling (zoals R pwr); clusterontwerpen "
        "volgens Bloom (2006) en PowerUp! (Dong & Maynard, 2013). Effecten in "
        "standaarddeviaties van de uitkomst. Dit is een planning onder aannames, geen belofte.",
        "Power from the noncentral t distribution (as R pwr); cluster designs after Bloom (2006) "
        "and PowerUp! (Dong & Maynard, 2013). Effects in standard deviations of the outcome. "
        "This is a plan under assumptions, not a promise."),
    "plan.headline": ("Nodig: {n} deelnemers", "Needed: {n} participants"),
    "plan.kind.pre_post": ("voor-nameting zonder vergelijkingsgroep",
                           "pre-post design without a comparison group"),
    "plan.kind.ancova": ("vergelijking van twee groepen, gecorrigeerd voor de voormeting (ANCOVA)",
                         "two-group comparison adjusted for the baseline (ANCOVA)"),
    "plan.kind.diff_in_diff": ("verschil-in-verschillen tussen twee groepen",
                               "difference in differences between two groups"),
    "plan.kind.cluster_randomised": ("ontwerp met clusters die als geheel worden toegewezen",
                                     "design with clusters assigned as a whole"),
    "plan.kind.multisite": ("ontwerp met toewijzing binnen locaties",
                            "design with assignment within sites"),
    # codebooks (evaltools.instruments.codebook)
    "cb.codebook": ("Codeboek", "Codebook"),
    "cb.about": ("Over dit instrument", "About this instrument"),
    "cb.construct": ("Construct", "Construct"),
    "cb.factor": ("Beschermende factor", "Protective factor"),
    "cb.level": ("Niveau", "Level"),
    "cb.version": ("Versie", "Version"),
    "cb.citation": ("Bron", "Citation"),
    "cb.licence": ("Licentie", "Licence"),
    "cb.validated": ("Gevalideerd", "Validated"),
    "cb.yes": ("ja", "yes"),
    "cb.no": ("nee", "no"),
    "cb.not_validated": ("Voorbeeldschaal, niet gevalideerd: gebruik de uitkomsten niet als bewijs "
                      "zonder eigen validatie.",
                      "Example scale, not validated: do not treat its results as evidence "
                      "without your own validation."),
    "cb.response_scales": ("Antwoordschalen", "Response scales"),
    "cb.code": ("Code", "Code"),
    "cb.label": ("Label", "Label"),
    "cb.missing_code": ("ontbrekend", "missing"),
    "cb.numeric_answer": ("een getal van {low} tot en met {high}, op {step} nauwkeurig",
                          "a number from {low} to {high}, to the nearest {step}"),
    "cb.count_answer": ("een geheel getal van {low} tot en met {high}",
                        "a whole number from {low} to {high}"),
    "cb.unit": ("eenheid", "unit"),
    "cb.items": ("Items", "Items"),
    "cb.column": ("Kolom (item-id)", "Column (item id)"),
    "cb.text": ("Tekst", "Wording"),
    "cb.answers": ("Antwoordschaal", "Response scale"),
    "cb.scoring": ("Scoring", "Scoring"),
    "cb.reversed": ("omgescoord", "reversed"),
    "cb.recoded": ("hercodering", "recoded"),
    "cb.as_given": ("zoals gegeven", "as given"),
    "cb.no_text": ("(tekst niet meegeleverd: licentie)", "(wording not shipped: licence)"),
    "cb.scales": ("Schalen", "Scales"),
    "cb.scale": ("Schaal", "Scale"),
    "cb.method": ("Methode", "Method"),
    "cb.mean": ("gemiddelde van de beantwoorde items", "mean of the answered items"),
    "cb.sum_prorated": ("som, bij ontbrekende items: gemiddelde x aantal items",
                     "sum; with missing items: mean x number of items"),
    "cb.sum_plain": ("som van de beantwoorde items", "sum of the answered items"),
    "cb.min_valid": ("Minimaal beantwoord", "Minimum answered"),
    "cb.range": ("Bereik", "Range"),
    "cb.direction": ("Richting", "Direction"),
    "cb.higher_is_better": ("hoger is gunstiger", "higher is better"),
    "cb.higher_is_worse": ("hoger is ongunstiger", "higher is worse"),
    "cb.cutoffs": ("Afkappunten", "Cut-offs"),
    "cb.category": ("Categorie", "Category"),
    "cb.from": ("Vanaf score", "From score"),
    "cb.on_raw": ("op de ruwe score", "on the raw score"),
    "cb.on_converted": ("op de omgerekende score", "on the converted score"),
    "cb.conversion": ("Omrekening", "Conversion"),
    "cb.raw": ("Ruw", "Raw"),
    "cb.converted": ("Omgerekend", "Converted"),
    "cb.multiply": ("ruwe score x {m:g} + {a:g}", "raw score x {m:g} + {a:g}"),
    "cb.norms": ("Normen", "Norms"),
    "cb.population": ("Populatie", "Population"),
    "cb.reliable_change": ("Betrouwbare verandering", "Reliable change"),
    "cb.rc_text": ("SD {sd:g} en betrouwbaarheid {r:g} ({source})",
                "SD {sd:g} and reliability {r:g} ({source})"),
    "cb.source": ("Bron", "Source"),
    "cb.notes": ("Toelichting", "Notes"),
    "cb.missing_rule": ("Ontbrekende antwoorden: codes {codes} tellen als niet beantwoord.",
                     "Missing answers: codes {codes} count as not answered."),
    "cb.individual": ("individu", "individual"),
    "cb.community": ("gemeenschap", "community"),
    "cb.society": ("samenleving", "society"),
    # reports
    # titles
    "report.prepost": ("Verandering per beschermende factor", "Change per protective factor"),
    "report.controlled": ("Interventie vergeleken met vergelijkingsgroep",
                          "Intervention compared with the comparison group"),
    "report.data_quality": ("Datakwaliteit", "Data quality"),
    "report.site_overview": ("Overzicht van alle locaties", "Overview of all sites"),
    "all_sites": ("alle locaties", "all sites"),
    # sections
    "sec.summary": ("Samenvatting", "Summary"),
    "sec.design": ("Opzet en deelname", "Design and participation"),
    "sec.quality": ("Datakwaliteit", "Data quality"),
    "sec.results": ("Resultaten per beschermende factor", "Results per protective factor"),
    "sec.comparison": ("Vergelijking met de vergelijkingsgroep",
                       "Comparison with the comparison group"),
    "sec.evidence": ("Wat zegt dit over de werkzaamheid?",
                     "What does this say about effectiveness?"),
    "sec.methods": ("Verantwoording (methode)", "Methods appendix"),
    "sec.sites": ("Locaties naast elkaar", "Sites side by side"),
    "sec.reliability": ("Betrouwbaarheid van de schalen", "Reliability of the scales"),
    "sec.missing": ("Ontbrekende antwoorden", "Missing answers"),
    "sec.consistency": ("Tegenstrijdig antwoorden", "Contradictory answering"),
    "sec.attrition": ("Uitval", "Attrition"),
    # table headers
    "col.scale": ("Schaal", "Scale"),
    "col.factor": ("Beschermende factor", "Protective factor"),
    "col.group": ("Groep", "Group"),
    "col.site": ("Locatie", "Site"),
    "col.wave": ("Meting", "Wave"),
    "col.n": ("Aantal", "n"),
    "col.mean_pre": ("Gemiddelde voor", "Mean before"),
    "col.mean_post": ("Gemiddelde na", "Mean after"),
    "col.change": ("Verandering", "Change"),
    "col.ci": ("95%-interval", "95% interval"),
    "col.effect": ("Effectgrootte", "Effect size"),
    "col.effect_type": ("Soort effectgrootte", "Effect size type"),
    "col.p": ("p-waarde", "p-value"),
    "col.p_adj": ("p (gecorrigeerd, BH)", "p (adjusted, BH)"),
    "col.improved": ("Betrouwbaar beter", "Reliably better"),
    "col.deteriorated": ("Betrouwbaar slechter", "Reliably worse"),
    "col.stage": ("Stap", "Stage"),
    "col.alpha": ("Cronbachs alfa", "Cronbach's alpha"),
    "col.omega": ("Omega", "Omega"),
    "col.missing": ("Ontbrekend", "Missing"),
    "col.flagged": ("Gemarkeerd als tegenstrijdig", "Flagged as contradictory"),
    "col.estimate": ("Verschil", "Difference"),
    "col.method": ("Methode", "Method"),
    "col.equivalence": ("Gelijkheid bij de voormeting", "Baseline equivalence"),
    "col.difference": ("Uitvallers min blijvers", "Dropouts minus completers"),
    "col.value": ("Waarde", "Value"),
    "col.item": ("Onderdeel", "Item"),
    # flow stages
    "stage.enrolled": ("aangemeld (in enige meting)", "enrolled (in any wave)"),
    "stage.measured": ("gemeten", "measured"),
    "stage.completer": ("voor- en nameting", "baseline and this wave"),
    "stage.dropout": ("uitgevallen", "dropped out"),
    "stage.non_starter": ("niet gestart (alleen nameting)", "non-starter (only this wave)"),
    # methods and values
    "method.ancova": ("ANCOVA (gecorrigeerd voor voormeting)", "ANCOVA (adjusted for baseline)"),
    "method.diff_in_diff": ("verschil in verandering", "difference in differences"),
    "eq.satisfied": ("gelijk", "equivalent"),
    "eq.adjustment_required": ("klein verschil; gecorrigeerd", "small difference; adjusted"),
    "eq.not_satisfied": ("niet gelijk", "not equivalent"),
    "suppressed": ("onderdrukt (te weinig deelnemers)", "suppressed (too few respondents)"),
    "suppressed_count": ("onderdrukt (minder dan {k}, of daaruit af te leiden)",
                         "suppressed (fewer than {k}, or would reveal such a count)"),
    "higher_is_better": ("hoger is gunstiger", "higher is better"),
    "higher_is_worse": ("lager is gunstiger", "lower is better"),
    # sentences
    "txt.fig_change": ("Spreiding van de individuele verandering (na min voor) per groep. "
                       "Groepen met te weinig deelnemers worden niet getoond.",
                       "Spread of individual change (after minus before) per group. Groups "
                       "with too few respondents are not shown."),
    "txt.improved": ("{scale}: {direction_word} (gemiddelde verandering {change}; "
                     "95%-interval {ci}).", "{scale}: {direction_word} (mean change {change}; "
                     "95% interval {ci})."),
    "word.better": ("gunstiger", "better"),
    "word.worse": ("ongunstiger", "worse"),
    "word.unclear": ("geen duidelijke verandering", "no clear change"),
    "design.pre_post": ("voor- en nameting", "before and after"),
    "design.controlled": ("quasi-experimenteel: niet geloot", "quasi-experimental: not "
                          "randomised"),
    "design.randomised": ("gerandomiseerd: groepen door loting", "randomised"),
    "design.repeated_cross_section": ("herhaalde dwarsdoorsnede: steeds andere deelnemers",
                                      "repeated cross-section: other respondents each wave"),
    "factor.resilience": ("Veerkracht", "Resilience"),
    "factor.wellbeing": ("Welbevinden", "Wellbeing"),
    "factor.supportive_family": ("Steunend gezin en sociale steun", "Supportive family and "
                                 "social support"),
    "factor.positive_identity": ("Positieve identiteitsontwikkeling", "Positive identity "
                                 "development"),
    "factor.social_connectedness": ("Sociale verbondenheid", "Social connectedness"),
    "factor.social_cohesion": ("Sociale samenhang in de buurt", "Neighbourhood social "
                               "cohesion"),
    "factor.digital_resilience": ("Digitale weerbaarheid", "Digital resilience"),
    "factor.democratic_citizenship": ("Democratisch burgerschap", "Democratic citizenship"),
    "txt.summary_intro": ("Deze rapportage beschrijft {intervention} in {place}, van {pre} "
                          "tot {post}, bij {n} deelnemers met beide metingen.",
                          "This report describes {intervention} in {place}, from {pre} to "
                          "{post}, for {n} respondents measured at both waves."),
    "txt.summary_compare": ("De interventiegroep is vergeleken met een vergelijkingsgroep "
                            "({design}).", "The intervention group was compared with a "
                            "comparison group ({design})."),
    "txt.summary_no_compare": ("Er is geen vergelijkingsgroep: veranderingen kunnen ook "
                               "andere oorzaken hebben dan de interventie.",
                               "There is no comparison group: changes may have causes other "
                               "than the intervention."),
    "txt.indicative": ("Let op: dit is een indicatie van evaltools, geen oordeel. Alleen de "
                       "Erkenningscommissie Interventies beoordeelt de werkzaamheid.",
                       "Note: this is an indication by evaltools, not a verdict. Only the "
                       "Dutch recognition committee (Erkenningscommissie Interventies) judges "
                       "effectiveness."),
    "txt.level_first": ("Deze opzet kan hooguit eerste aanwijzingen voor effectiviteit geven: "
                        "voor- en nameting zonder vergelijkingsgroep.",
                        "This design can at most give first indications of effectiveness "
                        "(eerste aanwijzingen): before and after without a comparison group."),
    "txt.level_good": ("Met een vergelijkingsgroep kan deze studie goede aanwijzingen geven, "
                       "als de groepen bij de voormeting vergelijkbaar zijn en de effecten "
                       "gunstig en statistisch betrouwbaar zijn.",
                       "With a comparison group this study can give good indications "
                       "(goede aanwijzingen), if the groups were comparable at baseline and "
                       "the effects are favourable and statistically reliable."),
    "txt.favourable": ("Gunstige, statistisch betrouwbare effecten: {scales}.",
                       "Favourable, statistically reliable effects: {scales}."),
    "txt.no_favourable": ("Geen gunstige effecten die statistisch betrouwbaar zijn.",
                          "No favourable effects that are statistically reliable."),
    "txt.limits": ("Beperkingen: regressie naar het gemiddelde, rijping (mensen veranderen ook "
                   "zonder interventie), selectieve uitval, en zonder vergelijkingsgroep geen "
                   "zicht op wat er zonder interventie was gebeurd.",
                   "Limits: regression to the mean, maturation (people change without an "
                   "intervention too), selective dropout, and without a comparison group no "
                   "view of what would have happened without the intervention."),
    "txt.suppression": ("Cellen met minder dan {k} deelnemers zijn onderdrukt.",
                        "Cells with fewer than {k} respondents are suppressed."),
    "txt.versions": ("Gemaakt met evaltools {version}; pakketten: {packages}.",
                     "Made with evaltools {version}; packages: {packages}."),
    "txt.fingerprint": ("Vingerafdruk van de gebruikte gegevens (SHA-256 per bestand):",
                        "Fingerprint of the data used (SHA-256 per file):"),
    "txt.instruments": ("Instrumenten", "Instruments"),
    "txt.methods_change": ("Verandering: gepaarde t-toets en Wilcoxon-toets op deelnemers met "
                           "beide metingen; effectgrootte g_av (Hedges-gecorrigeerd, Lakens "
                           "2013); betrouwbare verandering volgens Jacobson en Truax (1991).",
                           "Change: paired t-test and Wilcoxon test on respondents with both "
                           "waves; effect size g_av (Hedges-corrected, Lakens 2013); reliable "
                           "change after Jacobson and Truax (1991)."),
    "txt.methods_compare": ("Vergelijking: verschil in verandering (met Morris' d_ppc2) en "
                            "ANCOVA (Hedges' g volgens WWC); p-waarden gecorrigeerd met "
                            "Benjamini-Hochberg binnen elke beschermende factor.",
                            "Comparison: difference in differences (Morris's d_ppc2) and ANCOVA "
                            "(WWC Hedges' g); p-values adjusted by Benjamini-Hochberg within "
                            "each protective factor."),
    "txt.methods_dppc2_se": (
        "Standaardfout van d_ppc2: Morris (2008, vergelijking 25), var(d) = 2 c_p² (1 − ρ) "
        "(n_T + n_C)/(n_T n_C) · (n_T + n_C − 2)/(n_T + n_C − 4) · (1 + d² / (2 (1 − ρ) "
        "(n_T + n_C)/(n_T n_C))) − d², met c_p = 1 − 3/(4 (n_T + n_C − 2) − 1) en ρ de "
        "voor- en nameting-correlatie, gepoold over beide groepen: ((n_T − 1) r_T + "
        "(n_C − 1) r_C)/(n_T + n_C − 2). Hedges' g (WWC) bij ANCOVA: ω = 1 − 3/(4N − 9), "
        "se = √(N/(n_T n_C) + g²/(2N)). Het type effectgrootte staat bij elke waarde.",
        "Standard error of d_ppc2: Morris (2008, eq. 25), var(d) = 2 c_p² (1 − ρ) "
        "(n_T + n_C)/(n_T n_C) · (n_T + n_C − 2)/(n_T + n_C − 4) · (1 + d² / (2 (1 − ρ) "
        "(n_T + n_C)/(n_T n_C))) − d², with c_p = 1 − 3/(4 (n_T + n_C − 2) − 1) and ρ the "
        "pre-post correlation pooled over both groups: ((n_T − 1) r_T + (n_C − 1) r_C)/"
        "(n_T + n_C − 2). WWC Hedges' g with ANCOVA: ω = 1 − 3/(4N − 9), se = √(N/(n_T n_C) "
        "+ g²/(2N)). The effect-size type is given beside every value."),
    "txt.methods_alpha": (
        "Betrouwbaarheid: Cronbachs alfa (met Feldt-interval) en omega totaal uit de "
        "paarsgewijs volledige covarianties van de items (de standaard van R "
        "psych::alpha, use = \"pairwise\"); n is het kleinste aantal deelnemers dat een paar "
        "items beantwoordde.",
        "Reliability: Cronbach's alpha (with Feldt interval) and omega total from the "
        "pairwise-complete item covariances (the default of R psych::alpha, use = "
        "\"pairwise\"); n is the smallest number of respondents who answered a pair of items."),
    "txt.alpha_use": ("Alfa en omega uit {use} gegevens (zie verantwoording).",
                      "Alpha and omega from {use} data (see the methods appendix)."),
    # linkage check (evaltools.data.linkage)
    "sec.linkage": ("Koppeling van deelnemers tussen metingen",
                    "Linkage of respondents between waves"),
    "col.pairs": ("Gekoppelde deelnemers", "Linked respondents"),
    "col.r_prepost": ("Correlatie voor-na (r)", "Pre-post correlation (r)"),
    "txt.linkage_ok": (
        "De scores van dezelfde deelnemers hangen tussen de metingen samen zoals te verwachten "
        "is; niets wijst op verkeerd gekoppelde deelnemers.",
        "The scores of the same respondents correlate between waves as expected; nothing "
        "suggests respondents were linked wrongly."),
    "txt.linkage_warn": (
        "Let op: de voor-nacorrelaties van de schalen liggen dicht bij nul. Mogelijk zijn "
        "deelnemers tussen de metingen verkeerd gekoppeld (hernummerde of hergebruikte "
        "nummers, de verkeerde kolom als deelnemernummer, een andere sleutel). Controleer dit "
        "voordat u de resultaten gebruikt.",
        "Note: the pre-post correlations of the scales are near zero. Respondents may have been "
        "linked wrongly between waves (renumbered or reused ids, the wrong column as the id, "
        "another key). Check this before using the results."),
    "sec.site_icc": ("Samenhang binnen locaties (voormeting)",
                     "Clustering within sites (baseline)"),
    "col.sites": ("Locaties", "Sites"),
    "col.design_effect": ("Design-effect", "Design effect"),
    "txt.site_icc": ("ICC(1): het deel van de verschillen in de voormeting dat tussen locaties "
                     "ligt (eenweg-ANOVA). Het design-effect 1 + (m − 1) · ICC, met m de "
                     "gemiddelde locatiegrootte, is de factor waarmee clustering de variantie "
                     "van een gemiddelde vergroot; reken ermee bij het plannen van een "
                     "vervolgonderzoek.",
                     "ICC(1): the share of the baseline differences that lies between sites "
                     "(one-way ANOVA). The design effect 1 + (m − 1) · ICC, with m the mean "
                     "site size, is the factor by which clustering inflates the variance of a "
                     "mean; use it when planning a follow-up study."),
    "use.pairwise": ("paarsgewijs volledige", "pairwise-complete"),
    "use.complete": ("volledige (alle items beantwoord)", "complete (every item answered)"),
    "txt.no_data": ("Geen gegevens voor deze selectie.", "No data for this selection."),
    "txt.headline_quality": ("betrouwbaarheid (alfa) {low} tot {high}; {missing} ontbrekend",
                             "reliability (alpha) {low} to {high}; {missing} missing"),
    "txt.headline_missing": ("{missing} ontbrekend", "{missing} missing"),
    # site synthesis and evidence sections
    "report.site_synthesis": ("Locaties samengenomen", "Sites combined"),
    "sec.synthesis": ("Effect over alle locaties samen (meta-analyse)",
                      "Effect across all sites together (meta-analysis)"),
    "txt.synthesis_intro": ("Per schaal is het effect van elk van de {k} locaties berekend en "
                            "daarna samengenomen met een random-effectsmodel: dat houdt er "
                            "rekening mee dat het effect per locatie echt kan verschillen.",
                            "For each scale the effect at each of the {k} sites was computed "
                            "and then combined with a random-effects model, which allows the "
                            "effect to differ genuinely between sites."),
    "txt.synthesis_read": ("Lezen: het samengenomen effect is het gemiddelde effect over de "
                           "locaties; het voorspellingsinterval geeft aan waar het effect op "
                           "een nieuwe, vergelijkbare locatie waarschijnlijk ligt. I² is het "
                           "deel van de verschillen tussen locaties dat niet door toeval komt. "
                           "Methode: REML met Hartung-Knapp-correctie (t met k-1 vrijheidsgraden).",
                           "Reading: the pooled effect is the average effect across sites; the "
                           "prediction interval shows where the effect at a new, similar site "
                           "is likely to lie. I² is the share of the variation between sites "
                           "that is not due to chance. Method: REML with the Hartung-Knapp "
                           "adjustment (t on k-1 degrees of freedom)."),
    "txt.not_pooled": ("niet samengenomen: minder dan twee locaties met genoeg deelnemers",
                       "not pooled: fewer than two sites with enough respondents"),
    "txt.headline_synthesis": ("{k} locaties samengenomen; {n} van {m} schalen gunstig",
                               "{k} sites combined; {n} of {m} scales favourable"),
    "txt.pooled_label": ("Samen (RE)", "Pooled (RE)"),
    "sec.influence": ("Invloed van afzonderlijke locaties (steeds één weggelaten)",
                      "Influence of single sites (leaving one out at a time)"),
    "col.k_sites": ("Locaties", "Sites"),
    "col.k_studies": ("Studies", "Studies"),
    "col.pooled": ("Samengenomen effect", "Pooled effect"),
    "col.pi": ("Voorspellingsinterval", "Prediction interval"),
    "col.loo_low": ("Laagste (zonder)", "Lowest (without)"),
    "col.loo_high": ("Hoogste (zonder)", "Highest (without)"),
    "col.wwc": ("WWC-oordeel (indicatief)", "WWC rating (indicative)"),
    "col.level": ("Erkenningsniveau (indicatief)", "Recognition level (indicative)"),
    "col.reasons": ("Waarom", "Why"),
    "col.intervention": ("Interventie", "Intervention"),
    "col.tau2": ("tau²", "tau²"),
    "es.morris_dppc2": ("effectgrootte d_ppc2 (verschil in verandering)",
                        "effect size d_ppc2 (difference in differences)"),
    "es.g_av": ("effectgrootte g_av (verandering)", "effect size g_av (change)"),
    "es.hedges_g_wwc": ("effectgrootte g (WWC, ANCOVA)", "effect size g (WWC, ANCOVA)"),
    "es.hedges_g_did": ("effectgrootte g (verschil in verschillen van gemiddelden)",
                        "effect size g (difference in differences of means)"),
    "es.short.morris_dppc2": ("d_ppc2", "d_ppc2"),
    "es.short.g_av": ("g_av", "g_av"),
    "es.short.hedges_g_wwc": ("g (WWC)", "g (WWC)"),
    "txt.evidence_intro": ("Hoogste indicatieve niveau op grond van de gegevens van {place}: "
                           "{level}. Per schaal staan hieronder het indicatieve WWC-oordeel en "
                           "de redenen.", "Highest indicative level on the data of {place}: "
                           "{level}. Per scale, the indicative WWC rating and the reasons are "
                           "below."),
    "txt.criteria": ("Criteria: What Works Clearinghouse, Procedures and Standards Handbook "
                     "versie 5.0 (2022); Erkenningscommissie Interventies (NJi, Movisie, RIVM "
                     "Centrum Gezond Leven), erkenningscriteria, niveaus goed beschreven tot "
                     "sterke aanwijzingen. Goed beschreven en goed onderbouwd zijn door de "
                     "gebruiker opgegeven, niet door evaltools vastgesteld.",
                     "Criteria: What Works Clearinghouse, Procedures and Standards Handbook "
                     "version 5.0 (2022); Erkenningscommissie Interventies (NJi, Movisie, RIVM "
                     "Centrum Gezond Leven), recognition criteria, levels goed beschreven to "
                     "sterke aanwijzingen. 'Well described' and 'well founded' are declared by "
                     "the user, not established by evaltools."),
    # the "Wat werkt" overview
    "report.wat_werkt": ("Wat werkt: overzicht van het register",
                         "What works: overview of the register"),
    "txt.overview_sub": ("Interventies: {interventions}; studies: {studies}; beschermende "
                         "factoren: {factors}", "Interventions: {interventions}; studies: "
                         "{studies}; protective factors: {factors}"),
    # the waves of a report in its subtitle: words, not an arrow a screen reader names
    "txt.waves_from_to": ("{pre} tot {post}", "{pre} to {post}"),
    "txt.overview_factor": ("{factor}: gunstig samengenomen effect bij {what}.",
                            "{factor}: favourable pooled effect for {what}."),
    "txt.overview_factor_none": ("{factor}: nog geen gunstig samengenomen effect.",
                                 "{factor}: no favourable pooled effect yet."),
    "txt.overview_factor_unfavourable": ("{factor}: ongunstig samengenomen effect bij {what}.",
                                         "{factor}: unfavourable pooled effect for {what}."),
    "col.verdict": ("Beoordeling", "Verdict"),
    "txt.overview_headline": ("{n} van {m} uitkomsten gunstig", "{n} of {m} outcomes "
                              "favourable"),
    "txt.overview_summary_plots": ("Het register bevat {n} samengenomen uitkomsten (meer dan "
                                   "{m}): per beschermende factor staat één overzichtsfiguur. "
                                   "De afzonderlijke studies of locaties staan in de tabellen "
                                   "bij dit rapport (inputs.csv).",
                                   "The register holds {n} pooled outcomes (more than {m}): each "
                                   "protective factor has one summary figure. The single studies "
                                   "or sites are in the tables with this report (inputs.csv)."),
    "sec.levels": ("Indicatief erkenningsniveau en waarom", "Indicative recognition level and "
                   "why"),
    "test.knha": ("Hartung-Knapp (t met k-1 vrijheidsgraden)", "Hartung-Knapp (t on k-1 "
                  "degrees of freedom)"),
    "test.z": ("normale benadering (z)", "normal approximation (z)"),
    "txt.overview_methods": ("Per interventie en schaal zijn de effecten samengenomen met een "
                             "random-effectsmodel ({method}, betrouwbaarheidsinterval: {test}): "
                             "over studies als er twee of meer zijn, anders over de locaties "
                             "van de ene studie (bij de nameting). Effectgroottes van "
                             "verschillende soorten worden niet samengenomen. Het "
                             "voorspellingsinterval toont waar het effect op een nieuwe locatie "
                             "of in een nieuwe studie waarschijnlijk ligt.",
                             "Per intervention and scale the effects were pooled with a "
                             "random-effects model ({method}, confidence interval: {test}): "
                             "across studies where there are two or more, otherwise across the "
                             "sites of the one study (at the post-test). Effect sizes of "
                             "different kinds are never pooled. The prediction interval shows "
                             "where the effect at a new site or in a new study is likely to "
                             "lie."),
    "txt.overview_privacy": ("Het register bevat alleen samengevatte uitkomsten (aantallen, "
                             "effectgroottes, intervallen), nooit gegevens van personen, en geen "
                             "cellen kleiner dan de minimale celgrootte van de studie.",
                             "The register holds aggregate results only (counts, effect sizes, "
                             "intervals), never data on persons, and no cell smaller than the "
                             "study's minimum cell size."),
    # evidence classification (evaltools.analysis.evidence): reasons
    "ev.pre_post": ("geen vergelijkingsgroep: de WWC-standaarden beoordelen alleen opzetten "
                    "met groepen", "no comparison group: the WWC standards rate only group "
                    "designs"),
    "ev.counts_unknown": ("gerandomiseerd, maar het aantal gelote deelnemers is onbekend: de "
                          "uitval telt als hoog", "randomised, but the numbers randomised are "
                          "unknown: attrition is treated as high"),
    "ev.attrition": ("gerandomiseerd; totale uitval {overall} %, verschil in uitval "
                     "{differential} procentpunt: {level} volgens de {boundary} grens "
                     "({limit} punt)", "randomised; overall attrition {overall} %, "
                     "differential {differential} points: {level} against the {boundary} "
                     "boundary ({limit} points)"),
    "ev.low": ("laag", "low"),
    "ev.high": ("hoog", "high"),
    "ev.cautious": ("voorzichtige", "cautious"),
    "ev.optimistic": ("optimistische", "optimistic"),
    "ev.rct_low": ("een gerandomiseerde studie met lage uitval voldoet zonder voorbehoud aan "
                   "de standaarden", "a randomised study with low attrition meets the "
                   "standards without reservations"),
    "ev.rct_high": ("bij hoge uitval moet een gerandomiseerde studie, net als een "
                    "quasi-experiment, laten zien dat de groepen bij de voormeting gelijk waren",
                    "with high attrition, a randomised study must show baseline equivalence, "
                    "as a quasi-experiment must"),
    "ev.qed": ("quasi-experiment (vergelijkingsgroep niet door loting): voldoet hooguit met "
               "voorbehoud aan de standaarden, als de groepen bij de voormeting gelijk waren",
               "quasi-experiment (comparison group not assigned by lot): at best meets the "
               "standards with reservations, if baseline equivalence holds"),
    "ev.eq_unknown": ("gelijkheid bij de voormeting niet aan te tonen (geen verschil bekend)",
                      "baseline equivalence could not be shown (no baseline difference)"),
    "ev.eq_ok": ("gelijk bij de voormeting (|g| = {g} <= 0,05)",
                 "baseline equivalence satisfied (|g| = {g} <= 0.05)"),
    "ev.eq_adjusted": ("gelijk bij de voormeting na correctie (0,05 < |g| = {g} <= 0,25, en de "
                       "analyse corrigeert voor de voormeting)", "baseline equivalence "
                       "satisfied with adjustment (0.05 < |g| = {g} <= 0.25, and the analysis "
                       "adjusts for the baseline)"),
    "ev.eq_needs": ("niet gelijk bij de voormeting: bij 0,05 < |g| = {g} <= 0,25 moet de "
                    "analyse voor de voormeting corrigeren", "baseline equivalence not "
                    "satisfied: 0.05 < |g| = {g} <= 0.25 requires an analysis that adjusts for "
                    "the baseline"),
    "ev.eq_fail": ("niet gelijk bij de voormeting (|g| = {g} > 0,25)",
                   "baseline equivalence not satisfied (|g| = {g} > 0.25)"),
    "ev.not_described": ("de interventie is niet als 'goed beschreven' opgegeven (study.yml "
                         "evidence: well_described); daar begint de ladder",
                         "the intervention is not declared 'goed beschreven' (study.yml "
                         "evidence: well_described); the ladder starts there"),
    "ev.not_founded": ("geen veranderingstheorie opgegeven (study.yml evidence: well_founded): "
                       "'goed onderbouwd' komt vóór elk niveau van effectiviteit",
                       "no theory of change declared (study.yml evidence: well_founded): "
                       "'goed onderbouwd' comes before any level of effectiveness"),
    "ev.adverse": ("significant ongunstig effect in {studies}: een interventie die averechts "
                   "werkt, wordt niet als effectief erkend", "significant unfavourable effect "
                   "in {studies}: an intervention that works adversely is not recognised as "
                   "effective"),
    "ev.strong_two": ("{k} gecontroleerde studies die aan de WWC-standaarden voldoen, met een "
                      "significant (p < {alpha}) en relevant (|effect| >= {relevant}) gunstig "
                      "effect", "{k} controlled studies meeting the WWC standards with a "
                      "significant (p < {alpha}) and relevant (|effect| >= {relevant}) "
                      "favourable effect"),
    "ev.strong_lasting": ("een gecontroleerde studie die aan de WWC-standaarden voldoet, met "
                          "een gunstig effect dat {months} maanden na afloop van de interventie "
                          "nog bestaat", "a controlled study meeting the WWC standards whose "
                          "favourable effect lasts {months} months after the intervention "
                          "ended"),
    "ev.good_one": ("één gecontroleerde studie die aan de WWC-standaarden voldoet, met een "
                    "significant en relevant gunstig effect; voor 'sterke aanwijzingen' is een "
                    "tweede nodig, of een effect dat {months} maanden aanhoudt",
                    "one controlled study meeting the WWC standards with a significant and "
                    "relevant favourable effect; 'sterke aanwijzingen' needs a second, or an "
                    "effect lasting {months} months"),
    "ev.first": ("significante en relevante gunstige verandering ({kinds}), maar geen "
                 "gecontroleerde studie die aan de WWC-standaarden voldoet laat die zien",
                 "significant and relevant favourable change ({kinds}), but no controlled "
                 "study meeting the WWC standards shows it"),
    "ev.none": ("nog geen significant (p < {alpha}) en relevant (|effect| >= {relevant}) "
                "gunstig effect", "no significant (p < {alpha}) and relevant (|effect| >= "
                "{relevant}) favourable effect yet"),
    # evidence labels
    "wwc.meets_without_reservations": ("voldoet zonder voorbehoud",
                                       "meets standards without reservations"),
    "wwc.meets_with_reservations": ("voldoet met voorbehoud", "meets standards with "
                                    "reservations"),
    "wwc.does_not_meet": ("voldoet niet", "does not meet standards"),
    "wwc.not_applicable": ("niet van toepassing (geen vergelijkingsgroep)",
                           "not applicable (no comparison group)"),
    "level.not_assessed": ("niet beoordeeld", "not assessed"),
    "level.goed_beschreven": ("goed beschreven", "well described (goed beschreven)"),
    "level.goed_onderbouwd": ("goed onderbouwd", "well founded (goed onderbouwd)"),
    "level.eerste_aanwijzingen": ("eerste aanwijzingen voor effectiviteit",
                                  "first indications of effectiveness (eerste aanwijzingen)"),
    "level.goede_aanwijzingen": ("goede aanwijzingen voor effectiviteit",
                                 "good indications of effectiveness (goede aanwijzingen)"),
    "level.sterke_aanwijzingen": ("sterke aanwijzingen voor effectiviteit",
                                  "strong indications of effectiveness (sterke aanwijzingen)"),
    "txt.headline_sites": ("{k} locaties vergeleken: {n_fav} van {n} uitkomsten per locatie "
                           "gunstig", "{k} sites compared: {n_fav} of {n} outcomes per site "
                           "favourable"),
    # findings: what the design supports saying (evaltools.analysis.findings)
    "verdict.compare.favourable": ("gunstiger dan de vergelijkingsgroep",
                                   "more favourable than the comparison group"),
    "verdict.compare.unfavourable": ("ongunstiger dan de vergelijkingsgroep",
                                     "less favourable than the comparison group"),
    "verdict.compare.unclear": ("geen duidelijk verschil met de vergelijkingsgroep",
                                "no clear difference from the comparison group"),
    "verdict.change.favourable": ("gunstige verandering", "favourable change"),
    "verdict.change.unfavourable": ("ongunstige verandering", "unfavourable change"),
    "verdict.change.unclear": ("geen duidelijke verandering", "no clear change"),
    "verdict.short.favourable": ("gunstig", "favourable"),
    "verdict.short.unfavourable": ("ongunstig", "unfavourable"),
    "verdict.short.unclear": ("geen duidelijk verschil", "no clear difference"),
    "txt.headline_compare": ("{n_fav} van {n} schalen gunstiger dan de vergelijkingsgroep",
                             "{n_fav} of {n} scales more favourable than the comparison group"),
    "txt.headline_unfavourable": ("{k} ongunstiger", "{k} less favourable"),
    "txt.headline_change": ("{n_fav} van {n} schalen gunstig veranderd (zonder "
                            "vergelijkingsgroep)", "{n_fav} of {n} scales changed favourably "
                            "(no comparison group)"),
    "txt.headline_none": ("geen schalen met genoeg deelnemers", "no scales with enough "
                          "respondents"),
    "txt.finding_compare": ("{scale}: {verdict} (verschil {estimate}; 95%-interval {ci}; "
                            "effectgrootte {es}).", "{scale}: {verdict} (difference {estimate};"
                            " 95% interval {ci}; effect size {es})."),
    "txt.finding_change": ("{scale}: {verdict} (gemiddelde verandering {estimate}; "
                           "95%-interval {ci}).", "{scale}: {verdict} (mean change {estimate}; "
                           "95% interval {ci})."),
    "txt.finding_suppressed": ("{scale}: niet getoond (te weinig deelnemers).",
                               "{scale}: not shown (too few respondents)."),
    "method.lead.ancova": ("Per schaal is het verschil tussen de groepen bij de nameting "
                           "berekend, rekening houdend met de voormeting (ANCOVA).",
                           "For each scale, the difference between the groups at the later "
                           "wave, adjusted for the baseline (ANCOVA)."),
    "method.lead.diff_in_diff": ("Per schaal is berekend hoeveel meer de interventiegroep "
                                 "veranderde dan de vergelijkingsgroep (verschil in "
                                 "verandering).", "For each scale, how much more the "
                                 "intervention group changed than the comparison group "
                                 "(difference in differences)."),
    "method.lead.within_change": ("Per schaal is de verandering in de interventiegroep tussen "
                                  "de twee metingen berekend. Dat is verandering, geen effect.",
                                  "For each scale, the intervention group's change between "
                                  "the two waves. This is change, not an effect."),
    "caveat.pre_post": ("Er is geen vergelijkingsgroep: veranderingen kunnen ook andere "
                        "oorzaken hebben dan de interventie, zoals regressie naar het "
                        "gemiddelde of wat mensen ook zonder interventie doormaken.",
                        "There is no comparison group: changes may have other causes than the "
                        "intervention, such as regression to the mean or what people go "
                        "through without an intervention."),
    "caveat.controlled": ("De groepen zijn niet door loting ingedeeld en kunnen al vooraf "
                          "verschillen; de vergelijking houdt rekening met de voormeting, "
                          "niet met andere verschillen.", "The groups were not assigned by "
                          "lot and may have differed beforehand; the comparison takes the "
                          "baseline into account, not other differences."),
    "caveat.randomised": ("De groepen zijn door loting ingedeeld. Verschillen zijn daardoor aan "
                          "de interventie toe te schrijven, zolang de uitval beperkt en in "
                          "beide groepen gelijk is (zie de bijlage).", "The groups were "
                          "assigned by lot, so differences can be attributed to the "
                          "intervention, as long as dropout is limited and similar in both "
                          "groups (see the appendix)."),
    "fig.key_x": ("Effectgrootte (gestandaardiseerd) met 95%-interval",
                  "Effect size (standardised) with 95% interval"),
    "fig.key_left": ("← ongunstiger", "← less favourable"),
    "fig.key_right": ("gunstiger →", "more favourable →"),
    "fig.key_alt": ("Figuur met per schaal de effectgrootte van {what}, met 95%-interval, "
                    "gegroepeerd per beschermende factor; rechts van de nullijn is gunstig. "
                    "{n_fav} gunstig, {n_unfav} ongunstig, {n_unclear} zonder duidelijk "
                    "verschil.", "Figure of each scale's effect size for {what}, with its 95% "
                    "interval, grouped by protective factor; right of the zero line is "
                    "favourable. {n_fav} favourable, {n_unfav} unfavourable, {n_unclear} "
                    "without a clear difference."),
    "fig.key_what_compare": ("het verschil met de vergelijkingsgroep",
                             "the difference from the comparison group"),
    "fig.key_what_change": ("de verandering in de interventiegroep",
                            "the change in the intervention group"),
    "txt.no_dropouts": ("0 uitvallers: niets te vergelijken", "0 dropouts: nothing to compare"),
    "txt.all_waves": ("alle metingen", "all waves"),
    "sec.appendix": ("Bijlage: gegevens en methode", "Appendix: data and method"),
    "txt.appendix": ("De tabellen hieronder zijn voor wie de uitkomsten wil controleren.",
                     "The tables below are for readers who want to check the results."),
    "txt.headline": ("{n_better} van {n_scales} schalen gunstiger", "{n_better} of {n_scales} "
                     "scales better"),
    # text alternatives of figures (alt texts, WCAG 2.1 success criterion 1.1.1)
    "alt.change": ("Figuur {scale}: spreiding van de individuele verandering van {pre} naar "
                   "{post} per groep ({groups}), als vioolfiguur met de gemiddelde verandering "
                   "als punt en een stippellijn bij 0 (geen verandering). De getallen staan in "
                   "de tabel hierboven.",
                   "Figure {scale}: spread of individual change from {pre} to {post} per group "
                   "({groups}), as violins with the mean change as a dot and a dashed line at 0 "
                   "(no change). The numbers are in the table above."),
    "alt.forest_sites": ("Forest plot {scale}: effect per locatie ({effect}) met 95%-interval "
                         "voor {k} locaties, en het samengenomen effect {estimate} (95%-interval "
                         "{ci}).",
                         "Forest plot {scale}: the effect per site ({effect}) with its 95% "
                         "interval for {k} sites, and the pooled effect {estimate} (95% "
                         "interval {ci})."),
    "alt.forest_studies": ("Forest plot {what}: effect per studie ({effect}) met 95%-interval "
                           "voor {k} studies of locaties, en het samengenomen effect {estimate} "
                           "(95%-interval {ci}).",
                           "Forest plot {what}: the effect per study ({effect}) with its 95% "
                           "interval for {k} studies or sites, and the pooled effect {estimate} "
                           "(95% interval {ci})."),
    "alt.forest_summary": ("Overzichtsfiguur {factor}: het samengenomen effect ({effect}) met "
                           "95%-interval voor {n} combinaties van interventie en schaal. De "
                           "getallen staan in de tabel hierboven.",
                           "Summary figure {factor}: the pooled effect ({effect}) with its 95% "
                           "interval for {n} combinations of intervention and scale. The "
                           "numbers are in the table above."),
    # repeated cross-sections (evaltools.analysis.effects.crosssection)
    "caveat.repeated_cross_section": (
        "Bij elke meting zijn andere mensen ondervraagd; de groepen (wijken) zijn niet door "
        "loting ingedeeld. Het verschil in verschillen vergelijkt gemiddelden van wijken, niet "
        "de verandering van personen, en klopt alleen als de wijken zonder interventie gelijk "
        "waren opgeschoven en de samenstelling van de steekproeven niet veranderde.",
        "Different people were surveyed at every wave, and the groups (neighbourhoods) were not "
        "assigned by lot. The difference in differences compares neighbourhood means, not the "
        "change of persons, and holds only if the neighbourhoods would have moved alike without "
        "the intervention and the samples' make-up did not change."),
    "ev.cross_section": (
        "herhaalde dwarsdoorsnede (andere respondenten per meting): beoordeeld als "
        "quasi-experiment, met gelijkwaardigheid van de steekproeven bij de voormeting",
        "repeated cross-section (different respondents at each wave): rated as a "
        "quasi-experiment, on the equivalence of the baseline samples"),
    "sec.cross_section_counts": ("Opzet en respondenten per meting",
                                 "Design and respondents per wave"),
    "txt.cross_section_counts": (
        "Herhaalde dwarsdoorsnede: bij elke meting is een nieuwe steekproef ondervraagd, dus "
        "niemand is gevolgd; er zijn geen uitvallers, paren of individuele veranderingen. "
        "Aantallen per {cluster}, groep en meting.",
        "Repeated cross-section: a new sample was surveyed at each wave, so nobody was followed; "
        "there are no dropouts, pairs or individual changes. Counts per {cluster}, group and "
        "wave."),
    "txt.no_attrition_cross_section": (
        "Uitval is niet van toepassing: bij elke meting is een nieuwe steekproef ondervraagd.",
        "Attrition does not apply: a new sample was surveyed at each wave."),
    "txt.methods_cross_section": (
        "Vergelijking: verschil in verschillen van de gemiddelden (kleinste kwadraten, y ~ "
        "groep x meting) met clusterrobuuste standaardfouten per {cluster} (CR2, Bell & "
        "McCaffrey 2002) en vrijheidsgraden volgens Satterthwaite (Pustejovsky & Tipton 2018), "
        "zoals R clubSandwich; effectgrootte: het verschil gedeeld door de gepoolde "
        "standaarddeviatie bij de voormeting, met Hedges' correctie.",
        "Comparison: difference in differences of means (least squares, y ~ group x wave) with "
        "cluster-robust standard errors by {cluster} (CR2, Bell & McCaffrey 2002) and "
        "Satterthwaite degrees of freedom (Pustejovsky & Tipton 2018), as R clubSandwich; "
        "effect size: the difference over the pooled baseline standard deviation, with "
        "Hedges' correction."),
    "es.short.hedges_g_did": ("g (ViV)", "g (DiD)"),
    "col.cluster": ("Cluster", "Cluster"),
    "txt.few_clusters": ("Let op: een groep telt maar {k} clusters ({cluster}); de "
                         "onzekerheidsmarges rusten dan op heel weinig clusters.",
                         "Note: a group has only {k} clusters ({cluster}); the intervals then "
                         "rest on very few clusters."),
    "txt.summary_intro_cross_section": (
        "Deze rapportage beschrijft {intervention} in {place}, van {pre} tot {post}, bij {n} "
        "ondervraagden (bij elke meting andere mensen).",
        "This report describes {intervention} in {place}, from {pre} to {post}, for {n} "
        "respondents (different people at each wave)."),
    # several arms (issue 15): every intervention arm against every comparison arm
    "txt.contrast": ("{intervention} vs. {comparison}", "{intervention} vs. {comparison}"),
    "col.contrast": ("Vergelijking", "Contrast"),
    "txt.headline_compare_arms": (
        "{n_fav} van {n} vergelijkingen (schaal en groep) gunstiger dan de vergelijkingsgroep",
        "{n_fav} of {n} comparisons (scale and arm) more favourable than the comparison group"),
    "sec.omnibus": ("Alle groepen samen", "All arms together"),
    "txt.omnibus": (
        "Per schaal: de F-toets of de gecorrigeerde gemiddelden van alle groepen gelijk zijn "
        "(type II, gecorrigeerd voor {adjust}), en het gecorrigeerde gemiddelde per groep.",
        "Per scale: the F test of whether all arms have the same adjusted mean (type II, "
        "adjusted for {adjust}), and each arm's adjusted mean."),
    "col.adjusted_means": ("Gecorrigeerde gemiddelden", "Adjusted means"),
    "txt.baseline_score": ("de voormeting", "the baseline score"),
    "sec.subgroups": ("Subgroepen", "Subgroups"),
    "txt.subgroups_compare": (
        "Het verschil met de vergelijkingsgroep per subgroep (ANCOVA), en of het verschil "
        "tussen de subgroepen verschilt (interactietoets). Subgroepen kleiner dan {k} "
        "deelnemers per groep worden niet getoond.",
        "The difference from the comparison group per subgroup (ANCOVA), and whether it "
        "differs between subgroups (interaction test). Subgroups with fewer than {k} "
        "respondents per arm are not shown."),
    "txt.subgroups_cross_section": (
        "Het verschil in verschillen van de gemiddelden met de vergelijkingsgroep per subgroep "
        "(clusterrobuuste standaardfouten, CR2). Subgroepen kleiner dan {k} ondervraagden per "
        "groep en meting worden niet getoond.",
        "The difference in differences of means against the comparison group per subgroup "
        "(cluster-robust standard errors, CR2). Subgroups with fewer than {k} respondents per "
        "group and wave are not shown."),
    "txt.subgroups_change": (
        "De verandering van de interventiegroep per subgroep. Subgroepen kleiner dan {k} "
        "deelnemers worden niet getoond.",
        "The intervention group's change per subgroup. Subgroups with fewer than {k} "
        "respondents are not shown."),
    "col.subgroup": ("Subgroep", "Subgroup"),
    "txt.methods_arms": (
        "Elke interventiegroep is vergeleken met elke vergelijkingsgroep ({pairs}). De ANCOVA "
        "schat alle groepen in één model (groepsfactor met {k} niveaus); de F-toets over alle "
        "groepen is een type II-toets.",
        "Every intervention arm is compared with every comparison arm ({pairs}). ANCOVA "
        "estimates all arms in one model (a group factor with {k} levels); the F test across "
        "the arms is a type II test."),
    "txt.methods_covariates": (
        "ANCOVA en verschil in verandering zijn daarnaast gecorrigeerd voor: {covariates}.",
        "ANCOVA and difference in differences are further adjusted for: {covariates}."),
    "col.interaction": ("Interactie", "Interaction"),
}

#: Names in the other language that the texts quote, per page language: (their language, the
#: names). English texts give the Dutch recognition levels and committee by their Dutch names,
#: Dutch texts the WWC's handbook by its English title. Report pages mark them with ``lang``
#: (WCAG 2.1 criterion 3.1.2) so that a screen reader reads them with the right voice.
QUOTED_TERMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "en": ("nl", ("goed beschreven", "goed onderbouwd", "eerste aanwijzingen",
                  "goede aanwijzingen", "sterke aanwijzingen", "Erkenningscommissie Interventies",
                  "Centrum Gezond Leven")),
    "nl": ("en", ("What Works Clearinghouse", "Procedures and Standards Handbook")),
}


def t(key: str, language: Language = "nl", **values) -> str:
    """The text ``key`` in ``language``, with ``{placeholders}`` filled in.

    A protective factor or design without a translation (``factor.<id>``, ``design.<id>``)
    shows its id.
    """
    if key not in TEXTS and key.startswith(("factor.", "design.")):
        return key.split(".", 1)[1].replace("_", " ")
    nl, en = TEXTS[key]
    text = en if language == "en" else nl
    return text.format(**values) if values else text


def number(value, language: Language = "nl", digits: int = 2) -> str:
    """A number in the locale's format; missing values as an en dash.

    Examples
    --------
    >>> number(1234.5678, "nl"), number(1234.5678, "en"), number(float("nan"))
    ('1.234,57', '1,234.57', '–')
    >>> number(-0.004, "nl")
    '0,00'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{float(value):,.{digits}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]
    if language == "nl":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def percent(value, language: Language = "nl", digits: int = 0) -> str:
    """A share (0-1) as a percentage.

    Examples
    --------
    >>> percent(0.125, "nl", 1), percent(0.125, "en", 1)
    ('12,5%', '12.5%')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return number(100 * value, language, digits) + "%"


def interval(low, high, language: Language = "nl", digits: int = 2) -> str:
    """An interval as ``[low; high]`` (nl) or ``[low, high]`` (en)."""
    sep = "; " if language == "nl" else ", "
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (low, high)):
        return "–"
    return f"[{number(low, language, digits)}{sep}{number(high, language, digits)}]"
