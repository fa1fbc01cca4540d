from django.db import migrations


def load_default_taxonomies(apps, schema_editor):
    from linkwell.directory import taxonomy

    taxonomy.load(apps)


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [
        migrations.RunPython(load_default_taxonomies, migrations.RunPython.noop),
    ]
