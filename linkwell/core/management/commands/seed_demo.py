"""Build the demo data. Safe to run again: it updates what is there instead of duplicating it."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from linkwell.casework.demo import load_demo_casework
from linkwell.connections.demo import load_demo_connections
from linkwell.core.models import Membership, Role, Scheme, Site, User
from linkwell.core.services import membership_add
from linkwell.directory.demo import load_demo_directory
from linkwell.geo.demo import write_demo_gazetteer
from linkwell.matching.demo import load_demo_matching
from linkwell.referrals.demo import load_demo_referrals, offer_demo_waiting_rooms
from linkwell.referrals.demo_campaigns import load_demo_campaign
from linkwell.referrals.fhir.demo import seed_fhir_referrals
from linkwell.resources.demo import load_demo_resources

DEMO_DOMAIN = "demo.linkwell.test"
DEFAULT_DEMO_PASSWORD = "linkwell-demo-2026"

DEMO_PEOPLE = {
    Role.ADMIN: "Priya Shah",
    Role.MANAGER: "Gareth Evans",
    Role.LINK_WORKER: "Funmi Adeyemi",
    Role.REFERRER: "Dr Helen Morgan",
    Role.PROVIDER: "Tom Baker",
    Role.COMMISSIONER: "Ruth Okafor",
}


# More link workers, so caseloads can be balanced across a team.
EXTRA_LINK_WORKERS = {"kwame": "Kwame Boateng", "sian": "Sian Hughes"}


def demo_email(role: str) -> str:
    return f"{role}@{DEMO_DOMAIN}"


class Command(BaseCommand):
    help = "Create or refresh the demo scheme, its sites and one user per role."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load the demo into a production deployment (a training site). Needs "
            "LINKWELL_DEMO_PASSWORD set to a password of your own.",
        )

    def handle(self, *args, allow_production=False, **options):
        password = settings.LINKWELL_DEMO_PASSWORD
        if settings.PRODUCTION:
            if not allow_production:
                raise CommandError(
                    "This is a production deployment (LINKWELL_ENV=production). The demo creates "
                    "accounts with known passwords and no two-factor; pass --allow-production "
                    "only for a training site."
                )
            if password == DEFAULT_DEMO_PASSWORD:
                raise CommandError(
                    "Set LINKWELL_DEMO_PASSWORD to a password of your own before loading the "
                    "demo into a production deployment."
                )
        with transaction.atomic():
            scheme = self._scheme(
                "demo",
                "Riverside Social Prescribing (demo)",
                ["North Riverside PCN", "Riverside Town Centre"],
            )
            other = self._scheme("demo-hillside", "Hillside Community Link (demo)", ["Hillside"])
            sites = {s.name: s for s in scheme.sites.all()}
            for role, name in DEMO_PEOPLE.items():
                user = self._user(demo_email(role), name, password)
                member_sites = [sites["North Riverside PCN"]] if role == Role.LINK_WORKER else []
                self._member(scheme, user, role, member_sites)
            # The manager also commissions a neighbouring scheme, to show switching schemes.
            self._member(
                other, User.objects.get(email=demo_email(Role.MANAGER)), Role.COMMISSIONER, []
            )
            admin = User.objects.get(email=demo_email(Role.ADMIN))
            self._member(other, admin, Role.ADMIN, [])
            workers = [User.objects.get(email=demo_email(Role.LINK_WORKER))]
            for handle, name in EXTRA_LINK_WORKERS.items():
                user = self._user(f"{handle}@{DEMO_DOMAIN}", name, password)
                self._member(scheme, user, Role.LINK_WORKER, [sites["Riverside Town Centre"]])
                workers.append(user)
            demo_postcodes = write_demo_gazetteer()
            directory = load_demo_directory(
                scheme=scheme, provider_user=User.objects.get(email=demo_email(Role.PROVIDER))
            )
            manager = User.objects.get(email=demo_email(Role.MANAGER))
            referrals = load_demo_referrals(
                scheme=scheme,
                workers=workers,
                referrer=User.objects.get(email=demo_email(Role.REFERRER)),
                manager=manager,
            )
            referrer_membership = Membership.objects.get(
                scheme=scheme, user__email=demo_email(Role.REFERRER)
            )
            seed_fhir_referrals(membership=referrer_membership)
            resources = load_demo_resources(scheme=scheme)
            load_demo_resources(scheme=other)
            waiting_room_url = None
            if referrals["created"]:
                waiting_room_url = offer_demo_waiting_rooms(scheme=scheme, by=manager)
            if referrals["older_people"]:
                load_demo_campaign(
                    scheme=scheme,
                    people=referrals["older_people"],
                    callers=workers[:2],
                    manager=manager,
                )
            casework = load_demo_casework(scheme=scheme, workers=workers, manager=manager)
            connections = load_demo_connections(
                scheme=scheme,
                worker=workers[0],
                provider_user=User.objects.get(email=demo_email(Role.PROVIDER)),
            )
            matching = load_demo_matching(scheme=scheme, worker=workers[0])

        self.stdout.write(self.style.SUCCESS("Demo data ready.") + " Sign in at /sign-in/ as:")
        width = max(len(demo_email(r)) for r in DEMO_PEOPLE)
        for role in DEMO_PEOPLE:
            self.stdout.write(f"  {Role(role).label:<28} {demo_email(role):<{width}}  {password}")
        self.stdout.write("Two-factor sign-in is off for the demo schemes only.")
        if waiting_room_url:
            self.stdout.write(
                f"A person's waiting room, as their text message links to it: {waiting_room_url}"
            )
        self.stdout.write(
            f"Demo postcodes written: {demo_postcodes} (made-up RV1 to RV9, Riverside). "
            f"Directory: {directory['services']} services from "
            f"{directory['organizations']} organisations. People: {referrals['people']}, "
            f"referrals: {scheme.referrals.count()}. Waiting-room resources: {resources}. "
            f"Self-referral page: /refer/{scheme.slug}/."
        )
        self.stdout.write(
            f"Cases: {casework['open']} open, {casework['closed']} closed. "
            f"{workers[0].full_name} ({workers[0].email}) holds {casework['theirs']} open "
            f"cases, {casework['overdue']} with follow-ups overdue; the five case stories "
            "are among them."
        )
        self.stdout.write(
            f"Matching: stored words of {matching['words']} listings rebuilt; track records of "
            f"{matching['records']} services; {matching['unmet']} unmet needs for the gaps "
            "report. Open a case and choose 'Find support'."
        )
        self.stdout.write(
            f"Connections: {connections['connections']} supports offered, "
            f"{connections['waiting']} referrals waiting for a service's answer "
            "(manage.py send_referral_nudges reminds or expires them), "
            f"{connections['proposed']} written but not sent yet. The demo provider "
            f"answers at /provider/referrals/; a provider without an account: {connections['link']}"
            ". One email to a service could not be sent: the link worker's dashboard shows it "
            "(/messages/not-sent/)."
        )

    def _scheme(self, slug, name, site_names):
        scheme, _ = Scheme.objects.update_or_create(
            slug=slug, defaults={"name": name, "require_two_factor": False}
        )
        for site_name in site_names:
            Site.objects.get_or_create(scheme=scheme, name=site_name)
        return scheme

    def _user(self, email, name, password):
        user = User.objects.filter(email=email).first() or User(email=email)
        user.full_name = name
        user.is_active = True
        user.set_password(password)
        user.save()
        return user

    def _member(self, scheme, user, role, sites):
        existing = Membership.objects.filter(scheme=scheme, user=user).first()
        if existing is not None and existing.is_active:
            if existing.role != role:
                existing.role = role
                existing.save(update_fields=["role"])
            existing.sites.set(sites)
            return existing
        return membership_add(
            scheme=scheme,
            email=user.email,
            full_name=user.full_name,
            role=role,
            sites=sites,
            by=None,
        )
