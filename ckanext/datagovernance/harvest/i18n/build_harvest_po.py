"""Writes the German catalogue of ckanext-harvest's own strings
(i18n/de/LC_MESSAGES/ckanext-harvest.po), which ckanext-harvest does not ship.

    .venv/bin/python ckanext/datagovernance/harvest/i18n/build_harvest_po.py

Run it again after upgrading ckanext-harvest; strings without a German entry
here stay English.
"""
from __future__ import annotations

from pathlib import Path

import ckanext.harvest
from babel.messages.pofile import read_po, write_po

DE = {
    "title": "Titel", "Group not found": "Gruppe nicht gefunden",
    "Unauthorized to read group %s": "Keine Berechtigung, die Gruppe %s zu lesen",
    "Groups": "Gruppen", "Tags": "Schlagwörter", "Formats": "Formate", "Licence": "Lizenz",
    "Not authorized to see this page": "Keine Berechtigung für diese Seite",
    "Harvesting source successfully cleared": "Harvest-Quelle geleert",
    "Harvesting source successfully inactivated": "Harvest-Quelle deaktiviert",
    "Harvest source not found": "Harvest-Quelle nicht gefunden",
    "Harvest will start shortly. Refresh this page for updates.":
        "Das Harvesting beginnt in Kürze. Laden Sie die Seite neu, um den Stand zu sehen.",
    "Cannot create new harvest jobs on inactive sources. First, please change the source status to 'active'.":
        "Für inaktive Quellen können keine Harvest-Läufe gestartet werden. Setzen Sie die Quelle zuerst auf „aktiv“.",
    "A harvest job has already been scheduled for this source":
        "Für diese Quelle ist bereits ein Harvest-Lauf geplant",
    "Harvest source cleared": "Harvest-Quelle geleert", "No content found": "Kein Inhalt gefunden",
    "Harvest job not found": "Harvest-Lauf nicht gefunden",
    "No jobs yet for this source": "Für diese Quelle gab es noch keinen Lauf",
    "User {0} not authorized to create harvest sources": "{0} darf keine Harvest-Quellen anlegen",
    "User not authorized to create a job for source {0}": "Keine Berechtigung, für die Quelle {0} einen Lauf zu starten",
    "Only sysadmins can create harvest jobs for all sources": "Nur Systemadministratoren können Läufe für alle Quellen starten",
    "Only the sysadmins can create harvest objects": "Nur Systemadministratoren können Harvest-Objekte anlegen",
    "User {0} not authorized to delete harvest source {1}": "{0} darf die Harvest-Quelle {1} nicht löschen",
    "User {0} not authorized to read harvest source {1}": "{0} darf die Harvest-Quelle {1} nicht sehen",
    "User {0} not authorized to see jobs from source {1}": "{0} darf die Läufe der Quelle {1} nicht sehen",
    "User {0} not authorized to list jobs for source {1}": "{0} darf die Läufe der Quelle {1} nicht auflisten",
    "User {0} not authorized to update harvest source {1}": "{0} darf die Harvest-Quelle {1} nicht ändern",
    "Add Harvest Source": "Harvest-Quelle anlegen", "errors": "Fehler", "Details": "Details",
    "Id": "ID", "Created": "Angelegt", "Started": "Begonnen", "Finished": "Abgeschlossen",
    "Status": "Status", "Count": "Anzahl", "Message": "Meldung",
    "There are no datasets associated to this harvest source.": "Zu dieser Harvest-Quelle gehören keine Datensätze.",
    ('{number} harvest source found for "{query}"', '{number} harvest sources found for "{query}"'):
        ('{number} Harvest-Quelle für „{query}“ gefunden', '{number} Harvest-Quellen für „{query}“ gefunden'),
    'Sorry no harvest sources found for "{query}"': "Keine Harvest-Quellen für „{query}“ gefunden",
    ("{number} harvest source found", "{number} harvest sources found"):
        ("{number} Harvest-Quelle gefunden", "{number} Harvest-Quellen gefunden"),
    "Sorry no harvest sources found": "Keine Harvest-Quellen gefunden",
    "Draft": "Entwurf", "Deleted": "Gelöscht",
    "There is no description for this harvest source": "Diese Harvest-Quelle hat keine Beschreibung",
    "Datasets": "Datensätze", "Organization": "Organisation", "Last Harvest Job": "Letzter Harvest-Lauf",
    "View full job report": "Vollständigen Bericht ansehen", "Admin": "Verwaltung",
    "This will re-run the harvesting for this source. Any updates at the source will overwrite the local datasets. Sources with a large number of datasets may take a significant amount of time to finish harvesting. Please confirm you would like us to start reharvesting.":
        "Das Harvesting dieser Quelle läuft erneut. Beschreibende Angaben der Quelle überschreiben die lokalen; lokale Governance-Felder (Owner, Domäne, Zugriffsklasse, Freigabestatus) bleiben. Bei vielen Datensätzen dauert das eine Weile. Jetzt neu ernten?",
    "Start a new harvesting job for this harvest source now": "Jetzt einen neuen Harvest-Lauf für diese Quelle starten",
    "Reharvest": "Neu ernten",
    "Warning: This will remove all datasets for this source, as well as all previous job reports. Are you sure you want to continue?":
        "Achtung: Das entfernt alle Datensätze dieser Quelle und alle bisherigen Berichte. Wirklich fortfahren?",
    "Delete all harvest jobs and existing datasets from this source": "Alle Läufe und Datensätze dieser Quelle löschen",
    "Clear": "Leeren", "View harvest source": "Harvest-Quelle ansehen", "Dashboard": "Übersicht",
    "Jobs": "Läufe", "Edit": "Bearbeiten", "Organizations": "Organisationen",
    "Harvest Sources": "Harvest-Quellen", "Edit harvest source": "Harvest-Quelle bearbeiten",
    "Create Harvest Source": "Harvest-Quelle anlegen", "Create harvest source": "Harvest-Quelle anlegen",
    "Harvest sources": "Harvest-Quellen",
    " Harvest sources allow importing remote metadata into this catalog. Remote sources can be other catalogs such as other CKAN instances, CSW servers or Web Accessible Folders (WAF) (depending on the actual harvesters enabled for this instance). ":
        " Über Harvest-Quellen übernimmt der Katalog Metadaten aus anderen Katalogen, etwa dem DCAT-AP.de-Katalog einer anderen Kommune oder einer anderen CKAN-Instanz. ",
    "URL": "URL", "This should include the http:// part of the URL": "Mit http:// bzw. https://",
    "Title": "Titel", "eg. A descriptive title": "z. B. ein aussagekräftiger Titel", "Name": "Name",
    "eg. my-dataset": "z. B. stadt-musterstadt", "Description": "Beschreibung",
    "Update frequency": "Aktualisierungsrhythmus", "Configuration": "Konfiguration",
    "No organization": "Keine Organisation", "State": "Status", "Active": "Aktiv",
    "This will flag the source as deleted but keep all its datasets and previous jobs. Are you sure you want to delete this harvest source?":
        "Die Quelle wird als gelöscht markiert; ihre Datensätze und Berichte bleiben. Harvest-Quelle wirklich löschen?",
    "Warning: Apart from deleting this source, this command will remove all its datasets, as well as all previous job reports. Are you sure you want to continue?":
        "Achtung: Neben der Quelle werden alle ihre Datensätze und Berichte entfernt. Wirklich fortfahren?",
    "Delete": "Löschen", "Delete source": "Quelle löschen", "Delete and clear source": "Quelle löschen und leeren",
    "Return to the harvest sources list": "Zurück zur Liste der Harvest-Quellen",
    # the job report's counts and the new-source page's box (trimmed {% trans %})
    "added": "neu", "updated": "aktualisiert", "not modified": "unverändert",
    "Harvest sources allow importing remote metadata into this catalog. Remote sources can be other catalogs such as other CKAN instances, CSW servers or Web Accessible Folders (WAF) (depending on the actual harvesters enabled for this instance).":
        "Über Harvest-Quellen übernimmt der Katalog Metadaten aus anderen Katalogen, etwa dem DCAT-AP.de-Katalog einer anderen Kommune oder einer anderen CKAN-Instanz.",
    ' found for "{query}"': ' für „{query}“ gefunden', "Search sources...": "Quellen suchen …",
    "Search": "Suchen", "read more": "mehr", "About": "Über", "Relevance": "Relevanz",
    "Name Ascending": "Name aufsteigend", "Name Descending": "Name absteigend",
    "Last Modified": "Zuletzt geändert", "Popular": "Beliebt",
    "Search harvest sources...": "Harvest-Quellen suchen …", "Search...": "Suchen …",
    "All harvest sources": "Alle Harvest-Quellen", "Remove": "Entfernen",
    "Try another search term, browse the sources below or ": "Versuchen Sie einen anderen Suchbegriff, sehen Sie die Quellen unten durch oder ",
    "add a new one": "legen Sie eine neue an",
    "Harvest Jobs": "Harvest-Läufe", "Job: ": "Lauf: ", "Started:": "Begonnen:", "Not yet": "Noch nicht",
    "Finished:": "Abgeschlossen:", "Job Report": "Bericht des Laufs", "Back to job list": "Zurück zu den Läufen",
    "Error Summary": "Fehlerübersicht", "No errors for this job": "Keine Fehler in diesem Lauf",
    "Only the 20 most frequent errors are shown": "Nur die 20 häufigsten Fehler werden angezeigt",
    "Job Errors": "Fehler des Laufs", "Document Errors": "Fehler in Dokumenten", "Error Report": "Fehlerbericht",
    "documents with errors": "Dokumente mit Fehlern", "Remote content": "Inhalt der Quelle",
    "Local content": "Lokaler Inhalt", "Only sysadmins can reimport all harvest objects": "Nur Systemadministratoren können alle Harvest-Objekte neu importieren",
    "Only sysadmins can run the pending harvest jobs": "Nur Systemadministratoren können die anstehenden Läufe starten",
    "Only sysadmins can reindex all harvest sources": "Nur Systemadministratoren können alle Quellen neu indizieren",
    "Start a new harvesting job for this harvest source now ": "Jetzt einen neuen Harvest-Lauf starten",
}


def main() -> None:
    pot = Path(ckanext.harvest.__file__).parent / "i18n" / "ckanext-harvest.pot"
    with open(pot, "rb") as f:
        catalog = read_po(f, locale="de")
    for message in catalog:
        if message.id and message.id in DE:
            message.string = DE[message.id]
    # msgids the .pot lacks: translated at run time (`_(action)`, trimmed blocks)
    for msgid, text in DE.items():
        if msgid not in catalog:
            catalog.add(msgid, text)
    out = Path(__file__).resolve().parents[2] / "i18n" / "de" / "LC_MESSAGES" / "ckanext-harvest.po"
    with open(out, "wb") as f:
        write_po(f, catalog, omit_header=False, width=100)
    print(out)


if __name__ == "__main__":
    main()
